// og-sim --validators: score verification (issue 24's protocol) played out over many jobs,
// to choose its parameters before building it: how often a second validator must check
// the first, how much a caught validator or replica must lose, so that no strategy pays
// in expectation. Per job: `replicas` providers run it; a validator whose operator ran
// none of them scores each replica's output in [0, 1]; with probability `second_opinion`
// a second one scores too, and when the two differ by more than `tolerance` on any
// replica a third decides (per replica, the median); a validator out of line with the
// median is slashed and leaves. The best replica scoring at least `threshold` is
// accepted; replicas at or above it are paid, those below are not, and those below it by
// the word of two agreeing validators are slashed. With `check_low`, a replica is never
// left unpaid on one validator's word: a score below the threshold brings a second. Money is in units of one replica's
// pay; validation compute in units of one replica's compute.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace og::sim {

struct ValidatorSimParams {
  uint32_t providers = 20;
  uint32_t validators = 8;
  uint32_t replicas = 2;
  uint64_t jobs = 100'000;
  uint64_t seed = 1;
  double threshold = 0.5;
  double second_opinion = 0.1;  // share of tasks given to a second validator
  bool check_low = true;        // and every task where a replica scored below the threshold
  double tolerance = 0.15;      // scores further apart than this bring a third
  double replica_cost = 0.6;    // an honest replica's compute, per unit of pay
  double validation_cost = 0.15;  // a validation's compute, per replica's compute, per replica scored
  double validator_margin = 0.4;  // validators are paid cost / (1 - margin), as providers
  double replica_slash = 10;    // what a replica proven bad loses (its bond's share)
  double validator_slash = 10;  // what a validator out of line loses
  uint32_t horizon = 100;       // "caught within this many of its jobs"
};

// One strategy, one actor playing it among honest peers.
struct StrategyResult {
  std::string strategy;
  double gain_per_job = 0;     // the actor's expected profit per job it took part in, over playing honestly
  double caught_within_horizon = 0;  // share of actors caught within `horizon` of their jobs
  double mean_jobs_to_catch = 0;
  double honest_unpaid = 0;    // share of the honest replicas' runs it left unpaid
  double wrong_accepted = 0;   // share of its jobs whose accepted result was bad
};

struct ValidatorSimReport {
  double validation_overhead = 0;  // validation compute over replica compute, honest world
  double below_threshold = 0;      // share of honest jobs refused (noise alone)
  std::vector<StrategyResult> rows;
};

ValidatorSimReport simulate_validators(const ValidatorSimParams& params);

}  // namespace og::sim
