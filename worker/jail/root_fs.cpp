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

// Makes `relative` a real directory beneath root, component by component: a link or a
// file an image put on the way is replaced (in the job's own writable layer), so that
// nothing mounted or written below can land outside the root. Returns its full path.
std::string real_dir(const std::string& root, const std::string& relative, mode_t mode = 0755) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("open", root);
  std::string path = root;
  size_t start = 0;
  while (start < relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string::npos) slash = relative.size();
    std::string part = relative.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    path += "/" + part;
    struct stat st {};
    bool last = start > relative.size();
    if (::fstatat(fd, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
        ::unlinkat(fd, part.c_str(), 0) != 0)
      fail("unlink", path);
    if (::mkdirat(fd, part.c_str(), last ? mode : 0755) == 0) ::fchmodat(fd, part.c_str(), last ? mode : 0755, 0);
    else if (errno != EEXIST) fail("mkdir", path);
    int next = ::openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(fd);
    if (next < 0) fail("open", path);
    fd = next;
  }
  ::close(fd);
  return path;
}

// Only the accounts the job can meet: root (owner of the system files) and itself.
void write_accounts(const RootPlan& plan, const std::string& etc) {
  for (const char* name : {"passwd", "group", "hosts", "hostname", "resolv.conf"}) {
    std::string file = etc + "/" + name;
    std::error_code ec;  // an image's link (or directory) in its place goes; nothing it names
    fs::remove_all(file, ec);
    if (ec) throw std::runtime_error("cannot replace " + file + ": " + ec.message());
  }
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

// The host's programs and libraries, read-only, on a small tmpfs.
std::string host_root(const RootPlan& plan) {
  const std::string& root = plan.root;
  mount_or_fail("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m");
  bind_read_only("/usr", root + "/usr");
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) bind_read_only(top, root + top);
  std::string etc = real_dir(root, "etc");
  for (const char* entry : kEtcEntries) bind_read_only(std::string("/etc/") + entry, etc + "/" + entry);
  write_accounts(plan, etc);
  make_dirs(root + "/var");
  if (::symlink("/tmp", (root + "/var/tmp").c_str()) != 0) fail("symlink", root + "/var/tmp");
  return root;
}

// The image beneath an overlay: its files read-only, the job's changes on a tmpfs of the
// job's /tmp size that vanishes with the job's mount namespace.
std::string image_root(const RootPlan& plan) {
  if (plan.image.find_first_of(",:") != std::string::npos) throw std::runtime_error("the image path may not hold , or :");
  std::string scratch = plan.root, merged = plan.root + "/merged";
  std::string size = "mode=0755,size=" + std::to_string(plan.tmp_mb) + "m";
  mount_or_fail("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, size.c_str());
  for (const char* dir : {"/upper", "/work", "/merged"}) make_dirs(scratch + dir);
  std::string layers = "lowerdir=" + plan.image + ",upperdir=" + scratch + "/upper,workdir=" + scratch + "/work";
  mount_or_fail("overlay", merged, "overlay", MS_NOSUID | MS_NODEV, layers.c_str());
  write_accounts(plan, real_dir(merged, "etc"));
  return merged;
}

void build_dev(const RootPlan& plan, const std::string& dev) {
  mount_or_fail("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");  // devices allowed
  // The same device numbers as the host's nodes (one mknod each, no mount to undo).
  auto bind_device = [&](const std::string& source, bool required) {
    std::string target = dev + "/" + source.substr(source.rfind('/') + 1);
    struct stat st {};  // lstat: a link named nvidia0 must not hand the job what it points to
    if (::lstat(source.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
      if (required) throw std::runtime_error("device " + source + " is not a character device (links are refused)");
      return;
    }
    if (::mknod(target.c_str(), S_IFCHR | (st.st_mode & 0777), st.st_rdev) != 0) fail("mknod", target);
    ::chmod(target.c_str(), st.st_mode & 0777);
  };
  for (const char* name : kDevices) bind_device(std::string("/dev/") + name, false);
  for (const auto& gpu : plan.devices) bind_device(gpu, true);  // the GPUs it was given, no other
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
void build_secrets(const RootPlan& plan, const std::string& dir) {
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
  const std::string root = plan.image.empty() ? host_root(plan) : image_root(plan);

  std::string tmp_dir = real_dir(root, "tmp", 01777);
  std::string tmp = "mode=1777,size=" + std::to_string(plan.tmp_mb) + "m";
  mount_or_fail("tmpfs", tmp_dir, "tmpfs", MS_NOSUID | MS_NODEV, tmp.c_str());

  mount_or_fail("proc", real_dir(root, "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  build_dev(plan, real_dir(root, "dev"));
  // CPU topology for MPI's hwloc; the rest of /sys stays hidden.
  if (::access("/sys/devices/system", F_OK) == 0) {
    std::string system = real_dir(root, "sys/devices/system");
    mount_or_fail("/sys/devices/system", system, nullptr, MS_BIND | MS_REC);
    mount_or_fail(nullptr, system, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
  }
  real_dir(root, "run");
  if (!plan.secrets.empty()) build_secrets(plan, real_dir(root, "run/secrets", 0500));
  for (const auto& [source, target] : plan.read_only_binds) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) fail("stat", source);
    std::string at;
    if (S_ISREG(st.st_mode)) {  // a file (a driver library): over whatever the image has there
      auto slash = target.rfind('/');
      at = real_dir(root, target.substr(1, slash)) + target.substr(slash);
      std::error_code ec;
      fs::remove_all(at, ec);  // in the job's own layer; a link is removed, not followed
      make_file(at, "");
    } else {
      at = real_dir(root, target.substr(target[0] == '/'));
    }
    mount_or_fail(source.c_str(), at, nullptr, MS_BIND | MS_REC);
    mount_or_fail(nullptr, at, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
  }

  // Last: a job directory under /tmp or /dev/shm on the host must not be hidden by the
  // jail's own mounts there.
  std::string job_dir = real_dir(root, plan.job_dir.substr(1));
  mount_or_fail(plan.job_dir.c_str(), job_dir, nullptr, MS_BIND);
  mount_or_fail(nullptr, job_dir, nullptr, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV);

  std::string old_root = real_dir(root, ".oldroot");
  if (::chdir(root.c_str()) != 0) fail("chdir", root);
  if (::syscall(SYS_pivot_root, ".", ".oldroot") != 0) fail("pivot_root", root);
  if (::umount2("/.oldroot", MNT_DETACH) != 0) fail("umount", "/.oldroot");
  ::rmdir("/.oldroot");
  if (::chdir("/") != 0) fail("chdir", "/");
  // The host's files stay read-only; an image's root takes the job's writes in its own layer.
  if (plan.image.empty()) mount_or_fail(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV);
}

}  // namespace og::jail
