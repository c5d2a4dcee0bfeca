#include "scheduler/placement.hpp"

#include <algorithm>

#include "jobscripts/constraint.hpp"

namespace og {

uint32_t cpus_taken(const Partition& p, const JobSpec& spec) {
  return spec.exclusive ? p.cpus : spec.total_cpus();
}

bool partition_can_hold(const Partition& p, const JobSpec& spec) {
  if (!spec.partition.empty() && spec.partition != p.name) return false;
  // The spec was validated at submission; a constraint that no longer parses fits nothing.
  if (!spec.constraint.empty()) {
    try {
      if (!jobscripts::constraint_satisfied(jobscripts::parse_constraint_expr(spec.constraint), p.features))
        return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  if (spec.total_cpus() > p.cpus) return false;
  if (spec.total_mem_mb() > p.memory_mb) return false;
  if (spec.gpus > p.gpus) return false;
  if (spec.gpus > 0 && !spec.gpu_type.empty() && spec.gpu_type != p.gpu_type) return false;
  return true;
}

namespace {

bool has_room(const Partition& p, const JobSpec& spec) {
  if (spec.exclusive && (p.used_cpus > 0 || p.used_memory_mb > 0 || p.used_gpus > 0)) return false;
  return p.used_cpus + cpus_taken(p, spec) <= p.cpus &&
         p.used_memory_mb + spec.total_mem_mb() <= p.memory_mb &&
         p.used_gpus + spec.gpus <= p.gpus;
}

bool price_ok(const Partition& p, const JobSpec& spec) {
  return spec.max_price_micros == 0 || p.price_micros <= spec.max_price_micros;
}

}  // namespace

PlacementResult place_replicas(const Job& job, std::map<std::string, Partition>& partitions,
                               const std::set<std::string>& exclude, uint32_t count) {
  PlacementResult result;
  std::vector<Partition*> fits;
  size_t could_hold = 0, affordable = 0, usable = 0;
  for (auto& [name, p] : partitions) {
    if (exclude.count(name) || !partition_can_hold(p, job.spec)) continue;
    ++could_hold;
    if (!price_ok(p, job.spec)) continue;
    ++affordable;
    if (p.state != PartitionState::Up) continue;
    ++usable;
    if (has_room(p, job.spec)) fits.push_back(&p);
  }
  if (fits.size() >= count) {
    std::sort(fits.begin(), fits.end(), [](const Partition* a, const Partition* b) {
      if (a->price_micros != b->price_micros) return a->price_micros < b->price_micros;
      // Least loaded first: compare used/total without division.
      uint64_t la = uint64_t(a->used_cpus) * b->cpus, lb = uint64_t(b->used_cpus) * a->cpus;
      if (la != lb) return la < lb;
      return a->name < b->name;
    });
    fits.resize(count);
    result.chosen = std::move(fits);
    return result;
  }
  if (could_hold < count)
    result.reason = could_hold == 0 && !job.spec.partition.empty() ? "PartitionConfig"
                    : count > 1 || !exclude.empty()                  ? "Replicas"
                                                                     : "Resources";
  else if (affordable < count)
    result.reason = "PriceTooLow";
  else if (usable < count)
    result.reason = "PartitionDown";
  else
    result.reason = "Resources";
  return result;
}

}  // namespace og
