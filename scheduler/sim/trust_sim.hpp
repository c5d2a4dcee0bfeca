// og-sim --trust: adaptive replication (adaptive_replication.hpp) played out over many
// jobs, with the same trust rule and streak bookkeeping as og-schedd, to measure what it
// costs (replica runs per job, against 1 for unreplicated execution) and what it catches
// (how likely a provider that cheats on a fraction of its jobs goes undetected).
#pragma once

#include <cstdint>

#include "scheduler/adaptive_replication.hpp"

namespace og::sim {

struct TrustSimParams {
  uint32_t providers = 20;
  uint32_t cheaters = 2;       // among the providers
  double cheat_rate = 0.1;     // the share of its jobs a cheater answers falsely
  uint32_t replicas = 2;       // what each job asks for
  uint64_t jobs = 200'000;
  uint64_t seed = 1;
  AdaptiveOptions adaptive;
  uint32_t horizon = 500;      // "caught within this many of its jobs"
  uint32_t lifetimes = 2'000;  // single-cheater runs for the detection probability
};

struct TrustSimReport {
  double overhead = 0;         // replica runs per job, all jobs
  double steady_overhead = 0;  // the same over the second half (trust established)
  double wrong_accepted = 0;   // share of jobs whose accepted result was false
  double caught_within_horizon = 0;  // share of cheaters caught within `horizon` of their jobs
  double mean_jobs_to_catch = 0;
  double analytic_escape = 0;  // (1 - cheat_rate × spot_check) ^ horizon, once trusted
};

TrustSimReport simulate_trust(const TrustSimParams& params);

}  // namespace og::sim
