// og-bench-seccomp: what og-jail's system-call filter costs. Building it with libseccomp
// (og-worker does that once), then in N forked children each: loading the built filter
// (once per job start), and a cheap system call (getppid) before and after it — what every
// system call of a job pays for the filter.
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/time_util.hpp"
#include "worker/jail/seccomp_filter.hpp"

namespace {

constexpr int kCalls = 200'000;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ns_per_call() {
  int64_t start = og::monotonic_us();
  for (int i = 0; i < kCalls; ++i) ::syscall(SYS_getppid);
  return static_cast<double>(og::monotonic_us() - start) * 1000.0 / kCalls;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::stoi(argv[1]) : 50;
  std::vector<double> build_us, load_us, bare_ns, filtered_ns;
  std::string bpf;
  for (int i = 0; i < n; ++i) {
    int64_t start = og::monotonic_us();
    bpf = og::jail::compile_seccomp_filter();
    build_us.push_back(static_cast<double>(og::monotonic_us() - start));
  }
  for (int i = 0; i < n; ++i) {
    int fds[2];
    if (::pipe(fds) != 0) return 1;
    pid_t pid = ::fork();
    if (pid == 0) {
      double figures[3];
      figures[1] = ns_per_call();
      ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      int64_t start = og::monotonic_us();
      og::jail::load_compiled_filter(bpf);
      figures[0] = static_cast<double>(og::monotonic_us() - start);
      figures[2] = ns_per_call();
      (void)!::write(fds[1], figures, sizeof figures);
      _exit(0);
    }
    double figures[3] = {};
    (void)!::read(fds[0], figures, sizeof figures);
    ::close(fds[0]);
    ::close(fds[1]);
    ::waitpid(pid, nullptr, 0);
    load_us.push_back(figures[0]);
    bare_ns.push_back(figures[1]);
    filtered_ns.push_back(figures[2]);
  }
  std::printf("seccomp runs=%d rules=%zu bpf_instructions=%zu build_median_us=%.1f load_median_us=%.1f "
              "getppid_bare_ns=%.1f getppid_filtered_ns=%.1f\n",
              n, og::jail::denied_calls().size(), bpf.size() / 8, median(build_us), median(load_us), median(bare_ns),
              median(filtered_ns));
  return 0;
}
