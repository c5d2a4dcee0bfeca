// og-sim's engine: replays a trace through the real scheduling policies in virtual time.
// No processes: a started job simply ends after its recorded run time. Jobs are ranked
// first come, first served (their submit order), so the policies differ only in what a
// blocked job means for the jobs behind it.
#pragma once

#include <cstdint>
#include <string>

#include "scheduler/sim/swf_trace.hpp"

namespace og::sim {

struct SimConfig {
  std::string scheduler = "backfill";  // fifo or backfill
  uint32_t partitions = 1;
  uint32_t cpus_per_partition = 0;  // 0: the trace's MaxProcs over the partitions
};

struct SimReport {
  std::string scheduler;
  size_t jobs = 0;            // simulated
  size_t too_big = 0;         // wider than any partition: never started, left out
  double utilization = 0;     // CPU-seconds used over CPU-seconds offered, first submit to last end
  double mean_wait_s = 0;
  double p95_wait_s = 0;
  double mean_bounded_slowdown = 0;  // max(1, (wait + run) / max(run, 10 s))
  int64_t makespan_s = 0;
  size_t passes = 0;
  size_t backfilled = 0;  // jobs started behind a reservation
  double wall_s = 0;      // how long the simulation took
};

// Throws og::UsageError for an empty trace or a machine of no CPUs.
SimReport simulate(const Trace& trace, const SimConfig& config);

}  // namespace og::sim
