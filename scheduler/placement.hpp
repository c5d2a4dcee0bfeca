// Placement: which partitions may run a job's next replicas. A job fits a partition when
// the partition is UP, has the free CPUs, memory and GPUs the job asks for, matches a
// requested partition name, and asks no more than the job's maximum price. Among those
// that fit, the cheapest win, then the least loaded (order-book style).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "scheduler/model.hpp"

namespace og {

struct PlacementResult {
  std::vector<Partition*> chosen;  // empty when the job cannot start now
  std::string reason;              // why not, in og-squeue's vocabulary
};

// `exclude` holds partitions that already hold a replica of this job (one provider never
// holds two replicas of one job). Picks exactly `count` partitions or none.
PlacementResult place_replicas(const Job& job, std::map<std::string, Partition>& partitions,
                               const std::set<std::string>& exclude, uint32_t count);

// Whether a partition could ever hold the job (ignoring what is allocated now).
bool partition_can_hold(const Partition& p, const JobSpec& spec);
// CPUs a job holds on a partition: all of them when it runs --exclusive.
uint32_t cpus_taken(const Partition& p, const JobSpec& spec);

}  // namespace og
