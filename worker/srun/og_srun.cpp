// og-srun: `srun` inside a job on an OpenGrid partition (og-worker puts it on the job's
// PATH as srun). It starts a job step: N tasks of the command, each with the SLURM_*
// variables of its rank, within the job's allocation, cgroups and sandbox, and exits as
// Slurm's srun does. On Slurm-backed partitions the cluster's own srun is used instead.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>

#include "worker/srun/srun_options.hpp"
#include "worker/srun/step_directory.hpp"
#include "worker/srun/step_environment.hpp"
#include "worker/srun/step_launch.hpp"
#include "worker/srun/step_outcome.hpp"

extern char** environ;

namespace {

using namespace og::srun;

// An executable named `name` on PATH, or "".
std::string on_path(const Environment& env, const std::string& name) {
  for (const std::string& candidate : path_candidates(env, name))
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  return "";
}

std::string self_path() {
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
}

int srun(int argc, char** argv) {
  Environment env = from_environ(environ);
  std::string mpirun = on_path(env, "mpirun");
  StepRequest step = parse_srun_args(std::vector<std::string>(argv + 1, argv + argc), env,
                                     mpirun.empty() ? Mpi::kNone : Mpi::kPmix);
  switch (step.info) {
    case StepRequest::Info::kHelp: std::fputs(srun_help().c_str(), stdout); return 0;
    case StepRequest::Info::kUsage: std::puts("Usage: srun [OPTIONS...] executable [args...]"); return 0;
    case StepRequest::Info::kVersion: std::puts("slurm 22.05 (OpenGrid og-srun " OG_VERSION ")"); return 0;
    case StepRequest::Info::kMpiList:
      std::puts("MPI plugin types are...\n\tnone\n\tpmix (Open MPI's mpirun)");
      return 0;
    case StepRequest::Info::kNone: break;
  }
  if (!step.quiet)
    for (const auto& warning : step.warnings) std::fprintf(stderr, "%s\n", warning.c_str());
  Allocation allocation = allocation_from(env);
  check_fits(step, allocation);
  if (step.mpi == Mpi::kPmix && mpirun.empty())
    throw SrunError("srun: error: --mpi=pmix needs Open MPI's mpirun, which this provider does not have "
                    "(--mpi=none starts programs that are not MPI)",
                    1);
  mode_t mask = ::umask(0);
  ::umask(mask);
  StepLaunch launch;
  launch.directory = new_step_directory(env);
  launch.env = step_environment(step, env, allocation, launch.directory.id, mask);
  launch.step = std::move(step);
  launch.self = self_path();
  launch.mpirun = mpirun;
  std::vector<TaskOutcome> outcomes = run_step(launch);
  remove_step_directory(launch.directory);
  for (const auto& line : outcome_lines(allocation.node, allocation.job_id + "." + std::to_string(launch.directory.id),
                                        outcomes))
    std::fprintf(stderr, "%s\n", line.c_str());
  return step_exit_code(outcomes);
}

}  // namespace

int main(int argc, char** argv) {
  if (is_task_command(argc, argv)) return task_command(argc, argv);
  try {
    return srun(argc, argv);
  } catch (const SrunError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return e.exit_code;
  }
}
