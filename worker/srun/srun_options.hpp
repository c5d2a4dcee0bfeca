// What `srun` inside an OpenGrid job was asked for: its options read as srun reads them
// (getopt_long, so "-n2", "-n 2", "--ntasks=2", "--nt 2" and "-ln2" all work), with the
// job's own SLURM_* variables as defaults, exactly as srun takes them from a batch job.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace og::srun {

// What srun prints and the status it exits with: 255 for a malformed command line, 1 for a
// step that cannot be made, as srun's.
struct SrunError : std::runtime_error {
  SrunError(const std::string& message, int exit_code) : std::runtime_error(message), exit_code(exit_code) {}
  int exit_code;
};

enum class Mpi { kNone, kPmix };

struct StepRequest {
  uint32_t ntasks = 1;
  uint32_t nodes = 1;
  uint32_t cpus_per_task = 1;
  bool label = false;   // -l: each line of output prefixed "TASK: "
  bool quiet = false;   // -Q: no warnings
  Mpi mpi = Mpi::kNone;
  std::string export_spec = "ALL";  // --export, as given
  std::string chdir;                // -D: where the tasks start
  std::vector<std::string> command;  // the program and its arguments
  std::vector<std::string> warnings;  // options of srun's that OpenGrid ignores, one each
  enum class Info { kNone, kHelp, kUsage, kVersion, kMpiList } info = Info::kNone;
};

using Environment = std::map<std::string, std::string>;

// args: srun's arguments (without argv[0]); env: srun's environment (SLURM_NTASKS,
// SLURM_CPUS_PER_TASK, SLURM_NTASKS_PER_NODE, SLURM_MPI_TYPE, SLURM_EXPORT_ENV, ... are
// its defaults); pmix_default: --mpi when neither the option nor SLURM_MPI_TYPE says
// (pmix where Open MPI's mpirun is there to serve it). Throws SrunError.
StepRequest parse_srun_args(const std::vector<std::string>& args, const Environment& env, Mpi mpi_default);

// The job's allocation on this node, from the batch script's environment.
struct Allocation {
  std::string job_id;
  std::string node;   // SLURMD_NODENAME: the partition
  uint32_t nodes = 1;
  uint32_t cpus = 1;  // SLURM_CPUS_ON_NODE
};

// Throws SrunError (exit 1) when not inside a job.
Allocation allocation_from(const Environment& env);

// Refuses, as srun does (exit 1), a step larger than the job: more nodes, or more CPUs.
void check_fits(const StepRequest& step, const Allocation& allocation);

std::string srun_help();

}  // namespace og::srun
