#include "core/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace og {
namespace {

int open_output(const char* path) {
  return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

// Everything the child needs, prepared before the clone: the child shares our memory
// and must not allocate.
struct ChildPlan {
  const SpawnOptions* options;
  char* const* argv;
  char* const* envp;  // nullptr: inherit
  int error = 0;      // set by the child when it fails before exec
};

// Runs in the child, on its own stack, sharing the parent's memory (CLONE_VM) while the
// parent waits (CLONE_VFORK): only async-signal-safe calls until exec.
int child_main(void* arg) {
  auto* plan = static_cast<ChildPlan*>(arg);
  const SpawnOptions& o = *plan->options;
  // Daemons ignore SIGPIPE and block signals for sigwait; children start clean.
  signal(SIGPIPE, SIG_DFL);
  // A session of its own is a process group of its own without a controlling terminal:
  // a job must never reach the terminal its daemon was started from (TIOCSTI).
  if (o.new_process_group) setsid();
  if (o.die_with_parent) prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (o.stdin_null) {
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) dup2(null_fd, 0);
  }
  if (!o.stdout_path.empty()) {
    int out = open_output(o.stdout_path.c_str());
    if (out < 0) return plan->error = errno, 127;
    dup2(out, 1);
    if (o.stderr_path == o.stdout_path) dup2(out, 2);
  }
  if (!o.stderr_path.empty() && o.stderr_path != o.stdout_path) {
    int err = open_output(o.stderr_path.c_str());
    if (err < 0) return plan->error = errno, 127;
    dup2(err, 2);
  }
  if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) return plan->error = errno, 127;
  for (const auto& [resource, value] : o.rlimits) {
    struct rlimit limit = {value, value};
    if (setrlimit(resource, &limit) != 0) return plan->error = errno, 127;
  }
  // Asio opens sockets without close-on-exec: a job must not inherit the daemon's
  // connections (or any other descriptor) beyond stdin, stdout, stderr and pass_fd.
  int keep = 2;
  if (o.pass_fd >= 0) {
    if (o.pass_fd == 3) {
      fcntl(3, F_SETFD, 0);  // dup2 onto itself would leave close-on-exec set
    } else if (dup2(o.pass_fd, 3) < 0) {
      return plan->error = errno, 127;
    }
    keep = 3;
  }
  close_range(static_cast<unsigned>(keep + 1), ~0U, 0);
  if (plan->envp)
    execvpe(plan->argv[0], plan->argv, plan->envp);
  else
    execvp(plan->argv[0], plan->argv);
  plan->error = errno;
  return 127;
}

}  // namespace

// clone(CLONE_VM | CLONE_VFORK) as posix_spawn does: fork() would copy the page tables of
// a threaded daemon for every job, which dominated the cost of starting small jobs.
pid_t spawn_process(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::runtime_error("spawn_process: empty argv");
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (options.env) {
    for (const auto& e : *options.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  ChildPlan plan{&options, argv.data(), options.env ? envp.data() : nullptr};
  // The child's stack, reused: a fresh mapping per spawn would be unmapped again each
  // time, and unmapping costs a TLB shoot-down on every core.
  static constexpr size_t kStackSize = 128 * 1024;
  static thread_local std::unique_ptr<char[]> stack(new char[kStackSize]);
  // No signal handler may run in the child on the shared memory: block all until exec.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = clone(child_main, stack.get() + kStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD | options.clone_flags, &plan);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) throw std::runtime_error(std::string("clone: ") + std::strerror(clone_errno));
  if (plan.error != 0) {
    waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot start " + options.argv[0] + ": " + std::strerror(plan.error));
  }
  return pid;
}

int exit_code_from_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  return exe.parent_path().string();
}

std::string find_program(const std::string& name) {
  auto runnable = [](const std::filesystem::path& p) {
    std::error_code ec;
    return ::access(p.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(p, ec);
  };
  if (name.find('/') != std::string::npos) return runnable(name) ? std::filesystem::absolute(name).string() : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = dirs.substr(start, colon - start);
    start = colon + 1;
    if (!dir.empty() && dir[0] == '/' && runnable(dir + "/" + name)) return dir + "/" + name;
  }
  return "";
}

// posix_spawnp: the program is looked up on PATH, as a person typing it would.
std::string program_output(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  bool started = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) == 0;
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; started && (n = ::read(out[0], buf, sizeof buf)) > 0 && text.size() < (1u << 20);)
    text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  if (!started || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  return text;
}

}  // namespace og
