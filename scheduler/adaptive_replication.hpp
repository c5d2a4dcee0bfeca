// Adaptive replication, after BOINC's: a provider whose last `trust_after` results were
// each confirmed by a quorum of other providers is trusted, and a job that would start
// with it as its best offer runs there alone — except for a random spot check, with
// probability `spot_check`, where a second provider runs it too and both must agree. A
// spot check that fails brings in a third opinion, and the provider proven wrong loses
// its trust (its streak starts again), its reputation and its bond. Jobs that ask for a
// quorum explicitly (--quorum) always get every replica they asked for.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduler/model.hpp"

namespace og {

struct AdaptiveOptions {
  bool enabled = true;
  uint32_t trust_after = 10;  // confirmed results in a row
  double spot_check = 0.1;    // chance that a trusted provider's job is checked anyway
};

bool trusted(const Partition& p, const AdaptiveOptions& options);

// How many of the offers placement chose for a job about to start (best first) it needs:
// all of them, or 1 on a trusted best offer, or 2 when `draw` (uniform in [0, 1)) falls
// under the spot-check probability.
uint32_t adaptive_replica_count(const Job& job, const std::vector<Partition*>& chosen, const AdaptiveOptions& options,
                                double draw);

}  // namespace og
