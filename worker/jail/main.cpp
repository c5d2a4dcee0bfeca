// og-jail: runs one job contained. og-worker (as root) starts it as pid 1 of a new pid
// namespace; it joins the job's cgroups, enters new mount, ipc, uts (and network) namespaces,
// builds the job's root, drops to the job's uid with no capabilities and no way to gain
// any, and runs the script under a small init. When the script ends the init exits, and
// with it every process the job left behind: the kernel kills a pid namespace whole.
//
// Exit status: the script's (128 + signal when it was killed); 125 when the jail itself
// could not be set up (the reason is on stderr, which is the job's error file).
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/file_io.hpp"
#include "worker/jail/root_fs.hpp"
#include "worker/jail/seccomp_filter.hpp"

extern char** environ;

namespace {

constexpr int kJailFailed = 125;

// `--failed-marker FILE` is created at start and removed once the jail stands, just before
// privileges go: if it is still there when og-jail has exited, the jail failed — not the
// job (whose script may exit 125 too), and og-worker runs the job elsewhere. The file is
// in a directory the job never sees.
int g_jobs_dir_fd = -1;
std::string g_marker_name;

struct Options {
  og::jail::RootPlan root;
  std::vector<std::string> cgroup_procs;
  std::string network = "loopback";  // none | loopback | egress
  std::string cwd;
  uint32_t max_pids = 0;
  int secrets_fd = -1;
  std::string env_file;           // the job's environment, NUL-separated (else ours)
  std::string failed_marker;      // see kJailFailed
  std::string seccomp_file;       // the compiled filter og-worker made (else built here)
  std::string seccomp_bpf;
  std::vector<std::string> env;
  std::vector<std::string> argv;
};

[[noreturn]] void die(const std::string& message) {
  std::cerr << "og-jail: " << message << std::endl;
  _exit(kJailFailed);
}

uint64_t number(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    unsigned long long v = std::stoull(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  die(flag + ": \"" + text + "\" is not a number");
}

Options parse(int argc, char** argv) {
  Options o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--") break;
    if (flag == "--help" || flag == "-h" || flag == "--version") {
      // og-worker runs it; a person only reads what it is.
      std::cout << (flag == "--version" ? "og-jail " OG_VERSION " (OpenGrid)\n"
                                        : "usage: og-jail --root DIR --job-dir DIR --uid N --gid N [--image DIR] [--bind-ro SRC=DST]...\n"
                                          "               [...] -- PROGRAM ARGS\n"
                                          "og-worker's helper: runs one job in its own namespaces, root, cgroups,\n"
                                          "uid and system-call filter (see worker/jail/main.cpp). Not for direct use.\n")
                << std::flush;  // _exit flushes nothing
      _exit(0);
    }
    if (i + 1 >= argc) die(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--root") o.root.root = value;
    else if (flag == "--job-dir") o.root.job_dir = value;
    else if (flag == "--uid") o.root.uid = static_cast<uint32_t>(number(flag, value));
    else if (flag == "--gid") o.root.gid = static_cast<uint32_t>(number(flag, value));
    else if (flag == "--tmp-mb") o.root.tmp_mb = number(flag, value);
    else if (flag == "--device") {
      // Only GPUs' nodes: a mistaken caller must not hand a job a disk.
      std::string name = value.substr(value.rfind('/') + 1);
      if (value.empty() || value[0] != '/' || name.rfind("nvidia", 0) != 0)
        die("--device takes the absolute path of an NVIDIA device node (/dev/nvidia*), got " + value);
      o.root.devices.push_back(value);
    }
    else if (flag == "--hostname") o.root.hostname = value;
    else if (flag == "--cgroup-procs") o.cgroup_procs.push_back(value);
    else if (flag == "--network") o.network = value;
    else if (flag == "--cwd") o.cwd = value;
    else if (flag == "--max-pids") o.max_pids = static_cast<uint32_t>(number(flag, value));
    else if (flag == "--secrets-fd") o.secrets_fd = static_cast<int>(number(flag, value));
    else if (flag == "--env-file") o.env_file = value;
    else if (flag == "--failed-marker") o.failed_marker = value;
    else if (flag == "--seccomp") o.seccomp_file = value;
    else if (flag == "--image") o.root.image = value;
    else if (flag == "--bind-ro") {
      auto eq = value.find('=');
      std::string target = eq == std::string::npos ? "" : value.substr(eq + 1);
      if (eq == 0 || target.size() < 2 || target[0] != '/' || target.back() == '/' ||
          target.find("/..") != std::string::npos || target.find("/./") != std::string::npos)
        die("--bind-ro takes HOST_PATH=ABSOLUTE_PATH_IN_THE_JAIL, got " + value);
      o.root.read_only_binds.emplace_back(value.substr(0, eq), target);
    }
    else die("unknown option " + flag);
  }
  for (++i; i < argc; ++i) o.argv.push_back(argv[i]);
  if (o.argv.empty()) die("nothing to run (usage: og-jail OPTIONS -- PROGRAM ARGS...)");
  if (o.root.root.empty() || o.root.job_dir.empty() || o.root.job_dir[0] != '/')
    die("--root and an absolute --job-dir are required");
  if (o.root.uid == 0 || o.root.gid == 0) die("--uid and --gid must name an unprivileged id, not 0");
  if (o.network != "none" && o.network != "loopback" && o.network != "egress")
    die("--network must be none, loopback or egress");
  if (o.cwd.empty()) o.cwd = o.root.job_dir;
  o.root.egress = o.network == "egress";
  return o;
}

// The secrets, as og-worker wrote them to a memory file: NAME '\n' SIZE '\n' BYTES ...
std::map<std::string, std::string> read_secrets(int fd) {
  std::string all;
  char buf[65536];
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(std::string("reading secrets: ") + std::strerror(errno));
    if (n == 0) break;
    all.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  ::close(fd);
  std::map<std::string, std::string> secrets;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nl1 = all.find('\n', pos), nl2 = nl1 == std::string::npos ? nl1 : all.find('\n', nl1 + 1);
    if (nl2 == std::string::npos) die("secrets: malformed");
    std::string name = all.substr(pos, nl1 - pos);
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos || name.size() > 64)
      die("secrets: refusing the name \"" + name + "\"");
    size_t size = number("secret size", all.substr(nl1 + 1, nl2 - nl1 - 1));
    if (nl2 + 1 + size > all.size()) die("secrets: truncated");
    secrets[name] = all.substr(nl2 + 1, size);
    pos = nl2 + 1 + size;
  }
  return secrets;
}

// The job's environment, as og-worker wrote it (KEY=VALUE\0 ...); the file goes once read.
std::vector<std::string> read_env_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("cannot read " + path + ": " + std::strerror(errno));
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("cannot read " + path + ": " + std::strerror(errno));
    all.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::vector<std::string> env;
  for (size_t pos = 0; pos < all.size();) {
    size_t end = all.find('\0', pos);
    if (end == std::string::npos) end = all.size();
    if (end > pos) env.push_back(all.substr(pos, end - pos));
    pos = end + 1;
  }
  return env;
}

uint32_t g_uid = 0, g_gid = 0;

int chown_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::lchown(path, g_uid, g_gid) == 0 ? 0 : -1;
}

void join_cgroups(const std::vector<std::string>& files) {
  for (const auto& file : files) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1)  // "0": the writer itself, in any pid namespace
      die("cannot join cgroup " + file + ": " + std::strerror(errno));
    ::close(fd);
  }
}

void loopback_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die(std::string("socket: ") + std::strerror(errno));
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) die(std::string("lo flags: ") + std::strerror(errno));
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) die(std::string("lo up: ") + std::strerror(errno));
  ::close(s);
}

// The job's uid and gid, no supplementary groups, every capability gone from every set,
// and no way back (no_new_privs makes setuid binaries and file capabilities inert).
void drop_privileges(const Options& o) {
  if (::setgroups(0, nullptr) != 0) die(std::string("setgroups: ") + std::strerror(errno));
  if (::setresgid(o.root.gid, o.root.gid, o.root.gid) != 0) die(std::string("setresgid: ") + std::strerror(errno));
  for (int cap = 0; cap <= 63; ++cap)
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      die(std::string("dropping capability bounding set: ") + std::strerror(errno));
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die(std::string("no_new_privs: ") + std::strerror(errno));
  if (o.max_pids > 0) {  // per uid, and the uid is this job's alone: a second fork-bomb fence
    struct rlimit nproc = {o.max_pids, o.max_pids};
    ::setrlimit(RLIMIT_NPROC, &nproc);
  }
  struct rlimit core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &core);
  if (::setresuid(o.root.uid, o.root.uid, o.root.uid) != 0) die(std::string("setresuid: ") + std::strerror(errno));
  // setresuid cleared the permitted and effective sets; clear inheritable as well.
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) die(std::string("capset: ") + std::strerror(errno));
  // A uid change clears the parent-death signal: arm it again.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Last, once nothing privileged is left to do: the calls no job may make.
  try {
    if (o.seccomp_bpf.empty()) og::jail::load_seccomp_filter();
    else og::jail::load_compiled_filter(o.seccomp_bpf);
  } catch (const std::exception& e) {
    die(e.what());
  }
}

// The job must not reach the terminal its worker was started from: a process holding it
// could type commands into the operator's shell (TIOCSTI). og-worker starts us in a
// session of our own (no controlling terminal); started by hand, we leave the terminal.
void leave_terminal() {
  if (::setsid() >= 0) return;
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return;  // none: nothing to leave
  ::ioctl(fd, TIOCNOTTY);
  ::close(fd);
}

// pid 1 of the job's namespace: starts the script, reaps whatever is orphaned to it, and
// exits with the script's status — which ends every other process in the namespace.
[[noreturn]] void run_init(const Options& o) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // our parent gone (killed): the job goes too
  // As init, signals without a handler do not reach us from outside (but SIGKILL does):
  // og-worker's SIGTERM is for the script, in our process group.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_DFL);
  leave_terminal();
  int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
  if (o.network != "egress") flags |= CLONE_NEWNET;
  if (::unshare(flags) != 0) die(std::string("unshare: ") + std::strerror(errno));
  try {
    ::sethostname(o.root.hostname.data(), o.root.hostname.size());
    if (o.network == "loopback") loopback_up();
    og::jail::enter_root(o.root);
  } catch (const std::exception& e) {
    die(e.what());
  }
  if (g_jobs_dir_fd >= 0) ::unlinkat(g_jobs_dir_fd, g_marker_name.c_str(), 0);  // the jail stands
  drop_privileges(o);
  if (::chdir(o.cwd.c_str()) != 0) die("chdir " + o.cwd + ": " + std::strerror(errno));
  pid_t script = ::fork();
  if (script < 0) die(std::string("fork: ") + std::strerror(errno));
  if (script == 0) {
    std::vector<char*> argv, envp;
    for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(argv[0], argv.data(), o.env_file.empty() ? environ : envp.data());
    std::cerr << "og-jail: cannot run " << o.argv[0] << ": " << std::strerror(errno) << std::endl;
    _exit(127);
  }
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) _exit(255);
    if (pid != script) continue;  // an orphan that ended first
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (!o.failed_marker.empty()) {
    std::string path = o.failed_marker;
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    g_marker_name = path.substr(slash + 1);
    g_jobs_dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // reachable after pivot_root
    int fd = g_jobs_dir_fd < 0 ? -1 : ::openat(g_jobs_dir_fd, g_marker_name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) die("cannot create " + path + ": " + std::strerror(errno));
    ::close(fd);
  }
  if (o.root.hostname.empty()) o.root.hostname = "og-job";
  if (o.secrets_fd >= 0) o.root.secrets = read_secrets(o.secrets_fd);
  if (!o.env_file.empty()) o.env = read_env_file(o.env_file);
  if (!o.seccomp_file.empty()) {  // read now: the host's files are out of reach in the jail
    int dir = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    try {
      o.seccomp_bpf = og::read_untrusted_file(dir, o.seccomp_file.substr(o.seccomp_file[0] == '/'), 65536);
    } catch (const std::exception& e) {
      die(std::string("--seccomp: ") + e.what());
    }
    ::close(dir);
  }
  join_cgroups(o.cgroup_procs);
  // The job's directory becomes the job's own: it may write there and nowhere else.
  g_uid = o.root.uid;
  g_gid = o.root.gid;
  if (::nftw(o.root.job_dir.c_str(), chown_entry, 16, FTW_PHYS) != 0)
    die("chown " + o.root.job_dir + ": " + std::strerror(errno));
  ::chmod(o.root.job_dir.c_str(), 0700);
  // og-worker hands every jail the same mount point (each mounts on it in a namespace of its
  // own); only one made here is removed here.
  bool made_root = ::mkdir(o.root.root.c_str(), 0700) == 0;
  if (!made_root && errno != EEXIST) die("mkdir " + o.root.root + ": " + std::strerror(errno));
  // og-worker starts us as pid 1 of a fresh pid namespace (clone with CLONE_NEWPID):
  // we are the job's init. Started by hand, we make that namespace for a child first.
  if (::getpid() == 1) run_init(o);

  // The new pid namespace is for our child (its pid 1); we stay outside it, and outside
  // the mount namespace it builds, so that we can clean up after it.
  if (::unshare(CLONE_NEWPID) != 0) die(std::string("unshare: ") + std::strerror(errno) + " (og-jail needs root)");
  // og-worker stops a job by signalling its process group: SIGTERM is for the script (it
  // shares our group), SIGKILL for us — and our death takes the namespace down.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_IGN);
  pid_t init = ::fork();
  if (init < 0) die(std::string("fork: ") + std::strerror(errno));
  if (init == 0) run_init(o);
  int status = 0;
  while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
  }
  if (made_root) ::rmdir(o.root.root.c_str());  // the mount on it lived in the job's namespace only
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
