#include "worker/jail/root_fs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "core/file_io.hpp"

namespace og::jail {
namespace {

namespace fs = std::filesystem;

// What of /etc a job may need: the loader's cache, name-service and locale settings,
// TLS roots, shells' start-up files, and the alternatives links behind mpirun & co.
// Accounts (shadow, gshadow), host keys and the host's own configuration stay out.
const char* const kEtcEntries[] = {
    "alternatives", "bash.bashrc", "ca-certificates", "environment", "gai.conf", "host.conf", "inputrc",
    "ld.so.cache",  "ld.so.conf",  "ld.so.conf.d",    "locale.alias", "localtime", "magic", "magic.mime",
    "mime.types",   "nsswitch.conf", "openmpi",       "os-release", "profile", "profile.d", "protocols",
    "services",     "ssl",         "debian_version",  "hdf5",       "openblas", "python3", "perl"};

// No tty: a job has no terminal, and the worker's (when it has one) must stay out of reach.
const char* const kDevices[] = {"null", "zero", "full", "random", "urandom"};

[[noreturn]] void fail(const std::string& step, const std::string& path) {
  throw std::runtime_error(step + " " + path + ": " + std::strerror(errno));
}

void mount_or_fail(const char* source, const std::string& target, const char* type, unsigned long flags,
                   const char* data = nullptr) {
  if (::mount(source, target.c_str(), type, flags, data) != 0) fail("mount", target);
}

void make_dirs(const std::string& path, mode_t mode = 0755) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw std::runtime_error("mkdir " + path + ": " + ec.message());
  ::chmod(path.c_str(), mode);
}

void make_file(const std::string& path, const std::string& content, mode_t mode = 0644) {
  write_new_file(path, content, mode, /*replace=*/true);
}

// Binds `source` at `target` (created to match), read-only, no setuid, no devices. A
// symbolic link is copied as a link instead (its target is resolved inside the jail).
void bind_read_only(const std::string& source, const std::string& target) {
  struct stat st {};
  if (::lstat(source.c_str(), &st) != 0) return;  // absent on this host: nothing to show
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    auto link = fs::read_symlink(source, ec);
    if (!ec && ::symlink(link.c_str(), target.c_str()) != 0) fail("symlink", target);
    return;
  }
  if (S_ISDIR(st.st_mode)) make_dirs(target);
  else make_file(target, "");
  mount_or_fail(source.c_str(), target, nullptr, MS_BIND | MS_REC);
  mount_or_fail(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
}

void build_etc(const RootPlan& plan) {
  std::string etc = plan.root + "/etc";
  make_dirs(etc);
  for (const char* entry : kEtcEntries) bind_read_only(std::string("/etc/") + entry, etc + "/" + entry);
  // Only the accounts the job can meet: root (owner of the system files) and itself.
  std::string uid = std::to_string(plan.uid), gid = std::to_string(plan.gid);
  make_file(etc + "/passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
                                 std::string(kJobAccount) + ":x:" + uid + ":" + gid + ":OpenGrid job:" + plan.job_dir +
                             ":" + kJobShell + "\n");
  make_file(etc + "/group", "root:x:0:\nnogroup:x:65534:\n" + std::string(kJobAccount) + ":x:" + gid + ":\n");
  make_file(etc + "/hosts", "127.0.0.1 localhost " + plan.hostname + "\n::1 localhost ip6-localhost\n");
  make_file(etc + "/hostname", plan.hostname + "\n");
  if (plan.egress) bind_read_only("/etc/resolv.conf", etc + "/resolv.conf");  // the host's network, its resolver
  else make_file(etc + "/resolv.conf", "");  // no name servers: there is no network to reach them
}

void build_dev(const RootPlan& plan) {
  std::string dev = plan.root + "/dev";
  make_dirs(dev);
  mount_or_fail("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");  // devices allowed
  // The same device numbers as the host's nodes (one mknod each, no mount to undo).
  auto bind_device = [&](const std::string& name) {
    std::string source = "/dev/" + name, target = dev + "/" + name;
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return;
    if (::mknod(target.c_str(), S_IFCHR | (st.st_mode & 0777), st.st_rdev) != 0) fail("mknod", target);
    ::chmod(target.c_str(), st.st_mode & 0777);
  };
  for (const char* name : kDevices) bind_device(name);
  if (plan.gpus > 0) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/dev", ec)) {
      std::string name = entry.path().filename();
      if (name.rfind("nvidia", 0) == 0 && !entry.is_directory()) bind_device(name);
    }
  }
  for (auto [name, target] : {std::pair{"fd", "/proc/self/fd"}, std::pair{"stdin", "/proc/self/fd/0"},
                              std::pair{"stdout", "/proc/self/fd/1"}, std::pair{"stderr", "/proc/self/fd/2"}})
    if (::symlink(target, (dev + "/" + name).c_str()) != 0) fail("symlink", dev + "/" + name);
  make_dirs(dev + "/shm", 01777);
  std::string shm = "mode=1777,size=" + std::to_string(plan.tmp_mb) + "m";
  mount_or_fail("tmpfs", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, shm.c_str());
  mount_or_fail(nullptr, dev, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC);
}

// Secrets: a tmpfs only the job's uid can read, filled and then made read-only. It lives
// in the job's mount namespace and vanishes with it.
void build_secrets(const RootPlan& plan) {
  if (plan.secrets.empty()) return;
  std::string dir = plan.root + "/run/secrets";
  make_dirs(dir, 0500);
  std::string options = "mode=0500,size=8m,uid=" + std::to_string(plan.uid) + ",gid=" + std::to_string(plan.gid);
  mount_or_fail("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str());
  for (const auto& [name, content] : plan.secrets) {
    std::string path = dir + "/" + name;
    make_file(path, content, 0400);
    if (::chown(path.c_str(), plan.uid, plan.gid) != 0) fail("chown", path);
  }
  mount_or_fail(nullptr, dir, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

}  // namespace

void enter_root(const RootPlan& plan) {
  // Nothing mounted from here on may show up on the host, nor the host's mounts here.
  mount_or_fail(nullptr, "/", nullptr, MS_REC | MS_PRIVATE);
  const std::string& root = plan.root;
  mount_or_fail("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m");

  bind_read_only("/usr", root + "/usr");
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) bind_read_only(top, root + top);
  build_etc(plan);

  make_dirs(root + "/tmp", 01777);
  std::string tmp = "mode=1777,size=" + std::to_string(plan.tmp_mb) + "m";
  mount_or_fail("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp.c_str());
  make_dirs(root + "/var");
  if (::symlink("/tmp", (root + "/var/tmp").c_str()) != 0) fail("symlink", root + "/var/tmp");

  make_dirs(root + "/proc");
  mount_or_fail("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  build_dev(plan);
  // CPU topology for MPI's hwloc; the rest of /sys stays hidden.
  if (::access("/sys/devices/system", F_OK) == 0) {
    make_dirs(root + "/sys/devices");
    bind_read_only("/sys/devices/system", root + "/sys/devices/system");
  }
  make_dirs(root + "/run");
  build_secrets(plan);

  // Last: a job directory under /tmp or /dev/shm on the host must not be hidden by the
  // jail's own mounts there.
  make_dirs(root + plan.job_dir);
  mount_or_fail(plan.job_dir.c_str(), root + plan.job_dir, nullptr, MS_BIND);
  mount_or_fail(nullptr, root + plan.job_dir, nullptr, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV);

  make_dirs(root + "/.oldroot");
  if (::chdir(root.c_str()) != 0) fail("chdir", root);
  if (::syscall(SYS_pivot_root, ".", ".oldroot") != 0) fail("pivot_root", root);
  if (::umount2("/.oldroot", MNT_DETACH) != 0) fail("umount", "/.oldroot");
  ::rmdir("/.oldroot");
  if (::chdir("/") != 0) fail("chdir", "/");
  mount_or_fail(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV);
}

}  // namespace og::jail
