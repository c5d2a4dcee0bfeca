// Synthetic workloads for og-sim: Poisson arrivals sized to an offered load, job widths
// in powers of two, run times log-uniform, and requested times that overestimate the run
// time by a random factor, as users do.
#pragma once

#include <cstdint>

#include "scheduler/sim/swf_trace.hpp"

namespace og::sim {

struct SyntheticParams {
  size_t jobs = 5000;
  uint64_t seed = 1;
  double load = 0.9;                // offered work over machine capacity
  uint32_t machine_cpus = 256;      // what the load is measured against
  uint32_t max_job_cpus = 64;       // widths are 1, 2, 4, … up to this, equally likely
  int64_t min_run_s = 60;
  int64_t max_run_s = 8 * 3600;
  double max_overestimate = 3.0;    // requested time = run time × U(1, this), in minutes
  uint32_t users = 10;
};

Trace synthetic_trace(const SyntheticParams& params);

}  // namespace og::sim
