// When could a pending job start? The planner walks jobs in priority order; each gets the
// earliest time at which enough partitions (distinct providers and operators) have its
// resources free for its whole time limit, given what runs now and what was planned for
// the jobs before it, and holds them from then on (conservative backfill's picture).
// EASY backfill plans only its first blocked job; og-squeue --start plans the queue.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/availability_profile.hpp"
#include "scheduler/placement.hpp"

namespace og {

struct PlannedStart {
  int64_t start_us = 0;              // when the last of its replicas can start
  std::vector<Partition*> partitions;
  int64_t cost_micros = -1;          // every replica for its whole time limit; -1: no limit
};

class StartPlanner {
 public:
  StartPlanner(std::map<std::string, Partition>& partitions, int64_t now_us);

  // The job's earliest start, now held in the plan; nullopt when no set of offers will
  // ever do (too few providers, or work without a time limit in the way).
  std::optional<PlannedStart> plan(const Job& job, const PlacementRequest& request);
  // The plan of one partition, built on first use.
  AvailabilityProfile& profile(const Partition& p);

 private:
  std::map<std::string, Partition>& partitions_;
  int64_t now_us_;
  std::map<std::string, AvailabilityProfile> profiles_;
};

// The time a job may run, for planning (kNever: no limit).
int64_t planned_duration_us(const JobSpec& spec);

}  // namespace og
