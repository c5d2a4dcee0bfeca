// Starting a step's tasks and waiting for them: each by a launcher process (task_runner)
// that srun forks itself (--mpi=none), or that Open MPI's mpirun starts as its ranks
// (--mpi=pmix), so that an MPI program finds its peers through mpirun's PMIx server. The
// tasks stay in the job's process tree, cgroups and namespaces.
#pragma once

#include <string>
#include <vector>

#include "worker/srun/srun_options.hpp"
#include "worker/srun/step_directory.hpp"
#include "worker/srun/step_outcome.hpp"

namespace og::srun {

struct StepLaunch {
  StepRequest step;
  StepDirectory directory;
  Environment env;     // the step's (step_environment)
  std::string self;    // this program, for mpirun to start as each rank's launcher
  std::string mpirun;  // its path, for --mpi=pmix
};

// Runs every task to its end; returns how each ended (kUnknown where nothing said).
std::vector<TaskOutcome> run_step(const StepLaunch& launch);

// The internal command line mpirun starts each rank with: "--og-task ..." (see
// run_step); returns the launcher's exit status.
bool is_task_command(int argc, char** argv);
int task_command(int argc, char** argv);

// The width of -l's task numbers: those of the last task's, as srun pads them.
int label_width(uint32_t ntasks);

}  // namespace og::srun
