#include "worker/srun/task_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "worker/srun/held_signals.hpp"
#include "worker/srun/step_environment.hpp"
#include "worker/srun/step_outcome.hpp"

namespace og::srun {
namespace {

volatile pid_t g_program = 0;
volatile sig_atomic_t g_passed_on = 0;  // a signal came from outside and went to the program

void pass_on(int sig) {
  if (g_program > 0 && ::kill(g_program, sig) == 0) g_passed_on = sig;
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// execve along the task's own PATH (not srun's), as slurmstepd does; returns the errno
// that stopped it.
int exec_on_path(const std::vector<std::string>& command, const Environment& env) {
  std::vector<std::string> envp_strings = as_envp(env);
  std::vector<char*> argv, envp;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : envp_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int failure = ENOENT;
  for (const std::string& candidate : path_candidates(env, command.front())) {
    ::execve(candidate.c_str(), argv.data(), envp.data());
    if (errno == EACCES) failure = EACCES;  // found, not runnable: say so unless another is
    else if (errno != ENOENT && errno != ENOTDIR) return errno;
  }
  return failure;
}

[[noreturn]] void start_program(TaskLaunch& launch, pid_t launcher, int out_fd, int err_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the task never outlives its launcher
  if (::getppid() != launcher) ::_exit(128 + SIGKILL);
  for (int sig : kForwardedSignals) ::signal(sig, SIG_DFL);
  release_signals();
  if (launch.under_mpirun) ::setpgid(0, 0);
  if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
  if (!launch.chdir.empty()) {
    if (::chdir(launch.chdir.c_str()) != 0) {
      write_all(STDERR_FILENO, "srun: error: chdir(" + launch.chdir + "): " + std::strerror(errno) + "\n");
      ::_exit(1);
    }
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd)) launch.env["PWD"] = cwd;
  }
  launch.env["SLURM_TASK_PID"] = std::to_string(::getpid());
  int error = exec_on_path(launch.command, launch.env);
  write_all(STDERR_FILENO, "srun: error: execve(): " + launch.command.front() + ": " + std::strerror(error) + "\n");
  ::_exit(error);  // slurmstepd's status for a task that could not start: the errno
}

// Copies the program's output to ours, each line behind its task number, until the
// program has ended (child_pidfd readable) and what it wrote is read — not until every
// process it left behind closes the pipes, which would hold the step for ever.
void copy_labelled(int out_pipe, int err_pipe, const std::string& label, int child_pidfd) {
  struct Stream {
    int from, to;
    std::string partial;
  } streams[2] = {{out_pipe, STDOUT_FILENO, {}}, {err_pipe, STDERR_FILENO, {}}};
  auto close_stream = [&](Stream& s) {
    // The end: a last line without its newline gets one, as srun gives it.
    if (!s.partial.empty()) write_all(s.to, label + s.partial + "\n");
    ::close(s.from);
    s.from = -1;
  };
  // Reads what is there and writes its whole lines; false at the end of the stream.
  auto read_some = [&](Stream& s) {
    char buffer[65536];
    ssize_t n = ::read(s.from, buffer, sizeof buffer);
    if (n < 0) return errno == EINTR;
    if (n == 0) return false;
    s.partial.append(buffer, static_cast<size_t>(n));
    std::string out;
    size_t start = 0, newline;
    while ((newline = s.partial.find('\n', start)) != std::string::npos) {
      out += label + s.partial.substr(start, newline + 1 - start);
      start = newline + 1;
    }
    s.partial.erase(0, start);
    write_all(s.to, out);
    return true;
  };
  bool ended = false;
  while (!ended && (streams[0].from >= 0 || streams[1].from >= 0)) {
    pollfd fds[3] = {{streams[0].from, POLLIN, 0}, {streams[1].from, POLLIN, 0}, {child_pidfd, POLLIN, 0}};
    if (::poll(fds, child_pidfd >= 0 ? 3 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i)
      if (streams[i].from >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !read_some(streams[i]))
        close_stream(streams[i]);
    ended = child_pidfd >= 0 && (fds[2].revents & POLLIN);
  }
  // The program has ended: what it wrote is in the pipes; read it all, without waiting on
  // what it may have left running.
  for (Stream& s : streams) {
    if (s.from < 0) continue;
    ::fcntl(s.from, F_SETFL, ::fcntl(s.from, F_GETFL) | O_NONBLOCK);
    while (read_some(s)) {
    }
    close_stream(s);
  }
}

}  // namespace

int run_task(TaskLaunch launch) {
  add_task_variables(launch.env, launch.rank);
  struct sigaction forward {};
  forward.sa_handler = pass_on;  // no SA_RESTART: waits below see EINTR and go on
  for (int sig : kForwardedSignals) ::sigaction(sig, &forward, nullptr);
  release_signals();  // held across srun's fork of this launcher

  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (launch.label_width > 0 && (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)) {
    std::perror("srun: error: pipe");
    return 1;
  }
  pid_t launcher = ::getpid();
  sigset_t before = hold_signals();  // until g_program names the child
  pid_t child = ::fork();
  if (child == 0) start_program(launch, launcher, out[1], err[1]);
  g_program = child;
  restore_signals(before);
  if (child < 0) {
    std::perror("srun: error: fork");
    return 1;
  }
  if (launch.label_width > 0) {
    ::close(out[1]);
    ::close(err[1]);
    char label[32];
    std::snprintf(label, sizeof label, "%*u: ", launch.label_width, launch.rank);
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));  // -1 before Linux 5.3
    copy_labelled(out[0], err[0], label, pidfd);
    if (pidfd >= 0) ::close(pidfd);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  g_program = 0;
  // What the task left running ends with it, as a Slurm step's processes do (in the job's
  // process group, without mpirun, they end with the job).
  if (launch.under_mpirun) ::kill(-child, SIGKILL);
  TaskOutcome outcome;
  if (WIFSIGNALED(status) && g_passed_on) outcome = {TaskOutcome::Kind::kStopped, WTERMSIG(status)};
  else if (WIFSIGNALED(status)) outcome = {TaskOutcome::Kind::kSignaled, WTERMSIG(status)};
  else outcome = {TaskOutcome::Kind::kExited, WEXITSTATUS(status)};
  int fd = ::open(launch.outcome_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    write_all(fd, encode(outcome));
    ::close(fd);
  }
  bool killed = outcome.kind == TaskOutcome::Kind::kSignaled;
  return killed && launch.under_mpirun ? 128 + outcome.value : 0;
}

}  // namespace og::srun
