// Where a step keeps what its tasks report: the job's .og/steps/<step id>/, one file per
// task. Step ids count from 0 in each job, as Slurm's do; a step that could not be made
// takes none.
#pragma once

#include <cstdint>
#include <string>

#include "worker/srun/srun_options.hpp"

namespace og::srun {

struct StepDirectory {
  uint32_t id = 0;
  std::string path;
  std::string outcome_file(uint32_t rank) const { return path + "/" + std::to_string(rank); }
};

// Takes the job's next step id (under a lock: steps may start side by side) and makes
// its directory. Throws SrunError.
StepDirectory new_step_directory(const Environment& env);

// The directory and the outcomes in it, once srun has read them.
void remove_step_directory(const StepDirectory& step);

}  // namespace og::srun
