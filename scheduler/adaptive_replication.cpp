#include "scheduler/adaptive_replication.hpp"

namespace og {

bool trusted(const Partition& p, const AdaptiveOptions& options) {
  return options.enabled && p.valid_streak >= options.trust_after;
}

uint32_t adaptive_replica_count(const Job& job, const std::vector<Partition*>& chosen, const AdaptiveOptions& options,
                                double draw) {
  auto all = static_cast<uint32_t>(chosen.size());
  bool fresh = job.replicas.empty() && job.extra_replicas == 0;
  if (!options.enabled || !fresh || job.spec.quorum != 0 || all < 2 || !trusted(*chosen.front(), options))
    return all;
  return draw < options.spot_check ? 2 : 1;
}

}  // namespace og
