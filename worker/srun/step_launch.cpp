#include "worker/srun/step_launch.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>

#include "worker/srun/held_signals.hpp"
#include "worker/srun/step_environment.hpp"
#include "worker/srun/task_runner.hpp"

extern char** environ;

namespace og::srun {
namespace {

constexpr const char* kTaskFlag = "--og-task";

// What srun started, for its signal handler: a buffer sized before the handler is set
// (never reallocated under it), a slot cleared once its process is reaped.
volatile pid_t* g_started = nullptr;
volatile sig_atomic_t g_count = 0;
volatile sig_atomic_t g_passed_on = 0;

// A signal srun gets (the job cancelled, its time up) goes on to what it started.
void pass_on(int sig) {
  for (sig_atomic_t i = 0; i < g_count; ++i)
    if (g_started[i] > 0) ::kill(g_started[i], sig);
  g_passed_on = sig;
}

void forward_signals(size_t most) {
  g_started = new pid_t[most]();
  struct sigaction forward {};
  forward.sa_handler = pass_on;
  for (int sig : kForwardedSignals) ::sigaction(sig, &forward, nullptr);
}

// Forks with the forwarded signals held back until the child is on the list; the child
// keeps them held until its own handlers are set (run_task) or it execs mpirun.
pid_t fork_recorded() {
  sigset_t before = hold_signals();
  pid_t pid = ::fork();
  if (pid == 0) return 0;
  if (pid > 0) {
    g_started[g_count] = pid;
    g_count = g_count + 1;  // after the slot is filled: the handler reads up to the count
  }
  restore_signals(before);
  return pid;
}

void wait_all() {
  for (sig_atomic_t i = 0; i < g_count; ++i) {
    int status = 0;
    while (::waitpid(g_started[i], &status, 0) < 0 && errno == EINTR) {
    }
    g_started[i] = 0;  // reaped: its pid may be someone else's now
  }
}

TaskLaunch task_of(const StepLaunch& launch, uint32_t rank, bool under_mpirun) {
  TaskLaunch task;
  task.rank = rank;
  task.label_width = launch.step.label ? label_width(launch.step.ntasks) : 0;
  task.chdir = launch.step.chdir;
  task.outcome_file = launch.directory.outcome_file(rank);
  task.under_mpirun = under_mpirun;
  task.command = launch.step.command;
  task.env = launch.env;
  return task;
}

void start_direct(const StepLaunch& launch) {
  std::fflush(nullptr);  // nothing buffered twice
  for (uint32_t rank = 0; rank < launch.step.ntasks && !g_passed_on; ++rank) {
    pid_t pid = fork_recorded();
    if (pid < 0) {
      std::perror("srun: error: fork");
      break;
    }
    if (pid == 0) ::_exit(run_task(task_of(launch, rank, false)));
  }
}

std::string env_file(const std::string& step_dir) { return step_dir + "/env"; }

// The step's environment, for launchers mpirun starts: mpirun's own (srun's caller's)
// would not honour --export.
bool save_environment(const std::string& path, const Environment& env) {
  std::string all;
  for (const auto& kv : as_envp(env)) all += kv + '\0';
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, all.data(), all.size()) == static_cast<ssize_t>(all.size());
  ::close(fd);
  return ok;
}

Environment load_environment(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string all;
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) all.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  std::vector<std::string_view> assignments;
  for (size_t start = 0, end; (end = all.find('\0', start)) != std::string::npos; start = end + 1)
    assignments.push_back(std::string_view(all).substr(start, end - start));
  return from_assignments(assignments);
}

// What mpirun tells a rank (its rank, the PMIx server): kept on top of the step's.
bool from_mpirun(std::string_view name) {
  for (const char* prefix : {"OMPI_", "PMIX_", "OPAL_", "HFI_", "IPATH_"})
    if (name.starts_with(prefix)) return true;
  return false;
}

// mpirun -np N ... SELF --og-task DIR WIDTH CHDIR -- COMMAND: one launcher per rank, each
// finding its rank in OMPI_COMM_WORLD_RANK.
void start_mpirun(const StepLaunch& launch) {
  if (!save_environment(env_file(launch.directory.path), launch.env)) {
    std::fprintf(stderr, "srun: error: cannot write %s: %s\n", env_file(launch.directory.path).c_str(),
                 std::strerror(errno));
    return;
  }
  const StepRequest& step = launch.step;
  std::vector<std::string> args = {launch.mpirun, "-np", std::to_string(step.ntasks),
                                   // The step was sized against the job's CPUs already;
                                   // the job's cgroup, not mpirun's core count, bounds it.
                                   "--oversubscribe", "--bind-to", "none",
                                   // This node only, without asking Slurm (SLURM_* are set).
                                   "--mca", "plm", "isolated", "--mca", "ras", "^slurm",
                                   // srun's messages say how tasks ended, not mpirun's.
                                   "--quiet"};
  if (::geteuid() == 0) args.push_back("--allow-run-as-root");  // a job of a root-run worker
  args.insert(args.end(), {launch.self, kTaskFlag, launch.directory.path,
                           std::to_string(step.label ? label_width(step.ntasks) : 0), step.chdir, "--"});
  args.insert(args.end(), step.command.begin(), step.command.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  pid_t pid = fork_recorded();
  if (pid < 0) {
    std::perror("srun: error: fork");
    return;
  }
  if (pid == 0) {
    release_signals();
    ::execve(argv[0], argv.data(), environ);  // mpirun runs as it would in the batch script
    std::fprintf(stderr, "srun: error: execve(): %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
}

}  // namespace

int label_width(uint32_t ntasks) {
  return static_cast<int>(std::to_string(ntasks > 0 ? ntasks - 1 : 0).size());
}

std::vector<TaskOutcome> run_step(const StepLaunch& launch) {
  forward_signals(launch.step.ntasks + 1);
  if (launch.step.mpi == Mpi::kPmix) start_mpirun(launch);
  else start_direct(launch);
  wait_all();
  std::vector<TaskOutcome> outcomes(launch.step.ntasks);
  for (uint32_t rank = 0; rank < launch.step.ntasks; ++rank) {
    int fd = ::open(launch.directory.outcome_file(rank).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char line[64] = {};
    ssize_t n = ::read(fd, line, sizeof line - 1);
    ::close(fd);
    if (n <= 0) continue;
    if (auto outcome = decode(line)) outcomes[rank] = *outcome;
  }
  // A launcher stopped before it could say (mpirun kills what is left of a step it stops):
  // its task was stopped with the step.
  bool stopping = g_passed_on != 0;
  for (const TaskOutcome& o : outcomes)
    stopping = stopping || o.kind == TaskOutcome::Kind::kSignaled || o.kind == TaskOutcome::Kind::kStopped;
  for (TaskOutcome& o : outcomes)
    if (stopping && o.kind == TaskOutcome::Kind::kUnknown) o = {TaskOutcome::Kind::kStopped, SIGKILL};
  return outcomes;
}

bool is_task_command(int argc, char** argv) { return argc > 1 && std::strcmp(argv[1], kTaskFlag) == 0; }

int task_command(int argc, char** argv) {
  // argv: SELF --og-task DIR WIDTH CHDIR -- COMMAND...
  if (argc < 7 || std::strcmp(argv[5], "--") != 0) {
    std::fprintf(stderr, "srun: error: %s is srun's own, for mpirun to start its ranks with\n", kTaskFlag);
    return 1;
  }
  // Ends with mpirun, even killed (the worker ends a job's process group with SIGKILL;
  // mpirun's ranks have groups of their own), and its task with it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 128 + SIGKILL;
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (!rank) {
    std::fprintf(stderr, "srun: error: a task launcher started without its rank (OMPI_COMM_WORLD_RANK)\n");
    return 1;
  }
  TaskLaunch task;
  task.rank = static_cast<uint32_t>(std::strtoul(rank, nullptr, 10));
  task.label_width = std::atoi(argv[3]);
  task.chdir = argv[4];
  task.outcome_file = std::string(argv[2]) + "/" + std::to_string(task.rank);
  task.under_mpirun = true;
  for (int i = 6; i < argc; ++i) task.command.push_back(argv[i]);
  task.env = load_environment(env_file(argv[2]));
  if (task.env.empty()) {
    std::fprintf(stderr, "srun: error: cannot read the step's environment from %s\n", env_file(argv[2]).c_str());
    return 1;
  }
  for (auto& [name, value] : from_environ(environ, from_mpirun)) task.env[name] = value;
  return run_task(std::move(task));
}

}  // namespace og::srun
