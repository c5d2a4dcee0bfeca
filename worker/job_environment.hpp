// The environment a job script starts with: a clean base, OpenGrid's OG_* variables, the
// SLURM_* names unmodified Slurm scripts read, and the variables the requester exported.
#pragma once

#include <string>
#include <vector>

#include "worker/gpu_binding.hpp"
#include "worker/lease.hpp"

namespace og {

// The account a job runs as on the provider: USER, LOGNAME and SHELL are its.
struct JobAccount {
  std::string name;   // "" : the requester's name stands in (unit tests)
  std::string shell;  // "" : /bin/sh
};

struct JobPlace {
  std::string partition;  // this worker's partition (the "node")
  std::string job_dir;    // the job's work directory
  std::string cwd;        // where the script starts (job_dir or its --chdir)
  std::string tools_dir;  // OpenGrid's commands for the job (srun), first on its PATH; "" for none
  JobAccount account = {};
  std::vector<std::string> image_env = {};  // the image config's Env (KEY=VALUE), beneath the job's own
  const GpuBinding* gpus = nullptr;  // its GPUs; nullptr: numbered 0..N-1 (unit tests, Slurm backend)
  bool gpus_isolated = false;        // only its GPUs are visible to it (the jail)
};

// The account of this process's effective uid, as the password database has it.
JobAccount current_account();

std::vector<std::string> job_environment(const LeaseTask& task, const JobPlace& place);

// Where, in the job directory, a replica replacing a lost one finds the checkpoint it
// resumes from ($OG_RESUME_CHECKPOINT); under .og, so never part of the outputs.
inline constexpr const char* kResumeCheckpointPath = ".og/resume-checkpoint";

}  // namespace og
