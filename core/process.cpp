#include "core/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace og {
namespace {

// Runs in the child after fork: only async-signal-safe calls until exec.
[[noreturn]] void child_fail(int fd, int err) {
  ssize_t ignored = write(fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

int open_output(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

}  // namespace

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

  // A close-on-exec pipe tells the parent whether exec succeeded.
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));

  pid_t pid = fork();
  if (pid < 0) {
    close(status_pipe[0]);
    close(status_pipe[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    int fd = status_pipe[1];
    // Daemons block signals for sigwait and ignore SIGPIPE; children start clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (options.new_process_group) setpgid(0, 0);
    if (options.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() == 1) _exit(127);  // the parent is already gone
    }
    if (options.stdin_null) {
      int null_fd = open("/dev/null", O_RDONLY);
      if (null_fd >= 0) dup2(null_fd, 0);
    }
    if (!options.stdout_path.empty()) {
      int out = open_output(options.stdout_path);
      if (out < 0) child_fail(fd, errno);
      dup2(out, 1);
      if (options.stderr_path == options.stdout_path) dup2(out, 2);
    }
    if (!options.stderr_path.empty() && options.stderr_path != options.stdout_path) {
      int err = open_output(options.stderr_path);
      if (err < 0) child_fail(fd, errno);
      dup2(err, 2);
    }
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) child_fail(fd, errno);
    if (options.env)
      execvpe(argv[0], argv.data(), envp.data());
    else
      execvp(argv[0], argv.data());
    child_fail(fd, errno);
  }
  close(status_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(status_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  if (n > 0) {
    waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot start " + options.argv[0] + ": " +
                             std::strerror(child_errno));
  }
  // Set the group from the parent too, so a signal sent right away reaches the group.
  if (options.new_process_group) setpgid(pid, pid);
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

}  // namespace og
