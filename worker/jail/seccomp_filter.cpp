#include "worker/jail/seccomp_filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace og::jail {
namespace {

constexpr const char* kKeyrings =
    "the kernel keeps a uid's keyrings after its processes end and job uids are reused: a key stored by one "
    "user's job would be read by the next user's job on that uid";
constexpr const char* kTerminal = "pushes input into a terminal, which would run commands in the shell that owns it";
constexpr const char* kNamespaces =
    "a new namespace (a user namespace above all) gives the job capabilities over its own mounts and the kernel "
    "code behind them; the jail has made the namespaces the job needs";
constexpr const char* kMounts = "the job's file system is the jail's to decide";
constexpr const char* kKernel = "changes the running kernel or the whole machine";
constexpr const char* kSurface = "large kernel surface a batch job does not need, often used by exploits";
constexpr const char* kHandles = "opens files by handle, around the jail's mounts";
constexpr const char* kTrace =
    "tracing another process (and, on older kernels, changing its system calls after this filter has seen "
    "them); Open MPI's single-copy transfers use process_vm_readv, which stays allowed";
constexpr const char* kUring = "io_uring's operations are not seen by seccomp; programs fall back to read/write";

struct Rule {
  const char* name;
  int error;               // errno returned
  unsigned long long cmd;  // for ioctl: the request refused; for clone: a flag refused; 0: all calls
  const char* form;
  const char* reason;
};

const Rule kRules[] = {
    {"add_key", EPERM, 0, "", kKeyrings},
    {"request_key", EPERM, 0, "", kKeyrings},
    {"keyctl", EPERM, 0, "", kKeyrings},
    {"ioctl", EPERM, TIOCSTI, "ioctl(TIOCSTI)", kTerminal},
    {"ioctl", EPERM, TIOCLINUX, "ioctl(TIOCLINUX)", kTerminal},
    {"unshare", EPERM, 0, "", kNamespaces},
    {"setns", EPERM, 0, "", kNamespaces},
    {"clone", EPERM, CLONE_NEWUSER, "clone(CLONE_NEWUSER)", kNamespaces},
    {"clone", EPERM, CLONE_NEWNS, "clone(CLONE_NEWNS)", kNamespaces},
    {"clone", EPERM, CLONE_NEWPID, "clone(CLONE_NEWPID)", kNamespaces},
    {"clone", EPERM, CLONE_NEWNET, "clone(CLONE_NEWNET)", kNamespaces},
    {"clone", EPERM, CLONE_NEWIPC, "clone(CLONE_NEWIPC)", kNamespaces},
    {"clone", EPERM, CLONE_NEWUTS, "clone(CLONE_NEWUTS)", kNamespaces},
    {"clone", EPERM, CLONE_NEWCGROUP, "clone(CLONE_NEWCGROUP)", kNamespaces},
    // clone3 passes its flags in memory, which a filter cannot read: "not implemented"
    // makes glibc fall back to clone, whose flags the rules above check.
    {"clone3", ENOSYS, 0, "", kNamespaces},
    {"mount", EPERM, 0, "", kMounts},
    {"umount2", EPERM, 0, "", kMounts},
    {"pivot_root", EPERM, 0, "", kMounts},
    {"move_mount", EPERM, 0, "", kMounts},
    {"open_tree", EPERM, 0, "", kMounts},
    {"fsopen", EPERM, 0, "", kMounts},
    {"fsconfig", EPERM, 0, "", kMounts},
    {"fsmount", EPERM, 0, "", kMounts},
    {"fspick", EPERM, 0, "", kMounts},
    {"mount_setattr", EPERM, 0, "", kMounts},
    {"chroot", EPERM, 0, "", kMounts},
    {"init_module", EPERM, 0, "", kKernel},
    {"finit_module", EPERM, 0, "", kKernel},
    {"delete_module", EPERM, 0, "", kKernel},
    {"kexec_load", EPERM, 0, "", kKernel},
    {"kexec_file_load", EPERM, 0, "", kKernel},
    {"reboot", EPERM, 0, "", kKernel},
    {"swapon", EPERM, 0, "", kKernel},
    {"swapoff", EPERM, 0, "", kKernel},
    {"acct", EPERM, 0, "", kKernel},
    {"settimeofday", EPERM, 0, "", kKernel},
    {"clock_settime", EPERM, 0, "", kKernel},
    {"clock_adjtime", EPERM, 0, "", kKernel},
    {"adjtimex", EPERM, 0, "", kKernel},
    {"syslog", EPERM, 0, "", kKernel},
    {"quotactl", EPERM, 0, "", kKernel},
    {"iopl", EPERM, 0, "", kKernel},
    {"ioperm", EPERM, 0, "", kKernel},
    {"bpf", EPERM, 0, "", kSurface},
    {"perf_event_open", EPERM, 0, "", kSurface},
    {"userfaultfd", EPERM, 0, "", kSurface},
    {"lookup_dcookie", EPERM, 0, "", kSurface},
    {"vhangup", EPERM, 0, "", kTerminal},
    {"open_by_handle_at", EPERM, 0, "", kHandles},
    {"name_to_handle_at", EPERM, 0, "", kHandles},
    {"ptrace", EPERM, 0, "", kTrace},
    {"io_uring_setup", ENOSYS, 0, "", kUring},
    {"io_uring_enter", ENOSYS, 0, "", kUring},
    {"io_uring_register", ENOSYS, 0, "", kUring},
};

struct Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx) seccomp_release(ctx);
  }
};

void check(int rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error("seccomp: " + what + ": " + std::strerror(-rc));
}

}  // namespace

const std::vector<DeniedCall>& denied_calls() {
  static const std::vector<DeniedCall> list = [] {
    std::vector<DeniedCall> out;
    for (const Rule& r : kRules) out.push_back({r.name, r.form, r.reason});
    return out;
  }();
  return list;
}

std::string compile_seccomp_filter() {
  Context c;
  c.ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!c.ctx) throw std::runtime_error("seccomp: cannot allocate a filter");
  // A system call of another ABI (32-bit int 0x80, x32) would bypass the rules: it kills.
  check(seccomp_attr_set(c.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad-arch action");
  for (const Rule& r : kRules) {
    int nr = seccomp_syscall_resolve_name(r.name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a call on this architecture
    std::string what = std::string("rule for ") + (*r.form ? r.form : r.name);
    if (r.cmd == 0) {
      check(seccomp_rule_add(c.ctx, SCMP_ACT_ERRNO(r.error), nr, 0), what);
    } else if (std::string(r.name) == "ioctl") {
      // The kernel reads an ioctl request as 32 bits: compare only those, so that high
      // bits set in the register cannot slip a request past the rule.
      check(seccomp_rule_add(c.ctx, SCMP_ACT_ERRNO(r.error), nr, 1,
                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, r.cmd)),
            what);
    } else {  // clone: refused when the flag is set, whatever else is
      check(seccomp_rule_add(c.ctx, SCMP_ACT_ERRNO(r.error), nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, r.cmd, r.cmd)), what);
    }
  }
  int fd = ::memfd_create("og-seccomp", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("seccomp: memfd_create: ") + std::strerror(errno));
  std::string bpf;
  int rc = seccomp_export_bpf(c.ctx, fd);
  if (rc == 0) {
    char buf[4096];
    for (off_t at = 0;;) {
      ssize_t n = ::pread(fd, buf, sizeof buf, at);
      if (n <= 0) break;
      bpf.append(buf, static_cast<size_t>(n));
      at += n;
    }
  }
  ::close(fd);
  check(rc, "exporting the filter");
  if (bpf.empty() || bpf.size() % sizeof(sock_filter) != 0) throw std::runtime_error("seccomp: the exported filter is malformed");
  return bpf;
}

void load_compiled_filter(const std::string& bpf) {
  if (bpf.empty() || bpf.size() % sizeof(sock_filter) != 0 || bpf.size() / sizeof(sock_filter) > BPF_MAXINSNS)
    throw std::runtime_error("seccomp: not a compiled filter (" + std::to_string(bpf.size()) + " bytes)");
  sock_fprog program{static_cast<unsigned short>(bpf.size() / sizeof(sock_filter)),
                     reinterpret_cast<sock_filter*>(const_cast<char*>(bpf.data()))};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
    throw std::runtime_error(std::string("seccomp: loading the filter: ") + std::strerror(errno));
}

void load_seccomp_filter() { load_compiled_filter(compile_seccomp_filter()); }

}  // namespace og::jail
