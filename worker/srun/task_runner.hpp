// One task of a step, run to its end by a launcher process of its own: the task's
// variables set, its output labelled (-l), the program found on the task's PATH and
// started, signals passed on to it, and how it ended written where srun reads it.
#pragma once

#include <string>
#include <vector>

#include "worker/srun/srun_options.hpp"

namespace og::srun {

struct TaskLaunch {
  uint32_t rank = 0;
  int label_width = 0;  // 0: output unlabelled; else "%*d: " before each line
  std::string chdir;
  std::string outcome_file;
  // Started by mpirun: a task killed by a signal makes its launcher fail, so that mpirun
  // stops the other ranks (an MPI job missing a rank would wait for it for ever); and the
  // program has a process group of its own, so that mpirun's signals reach it through
  // its launcher, which then knows it was stopped.
  bool under_mpirun = false;
  std::vector<std::string> command;
  Environment env;  // the step's; the task's own variables are added
};

// Returns the status the launcher exits with: 0, or 128+N where under_mpirun and
// the program was killed by signal N.
int run_task(TaskLaunch launch);

}  // namespace og::srun
