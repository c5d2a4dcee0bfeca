// A one-host Slurm 22.05 for the tests that compare with or run on a real Slurm
// (scripts/slurm-local.sh: munge, slurmctld, 4 slurmd nodes of 2 CPUs, slurmrestd with
// JWT), started once per test process. `why_not` says why it could not start (not root,
// packages missing); those tests then skip, saying so.
#pragma once

#include <map>
#include <string>

namespace og::test {

struct LocalSlurm {
  std::string dir, why_not;
  std::map<std::string, std::string> env;  // SLURM_CONF, OG_SLURMRESTD_URL, ...
  LocalSlurm();
  ~LocalSlurm();
  // A Slurm command (sbatch, squeue, scontrol, ...) against this cluster: its output and
  // error output together.
  std::string run(const std::string& command) const;
};

LocalSlurm& slurm();

}  // namespace og::test
