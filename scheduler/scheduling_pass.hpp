// One scheduling pass: jobs that may start now, highest priority first, are matched to
// partitions (placement.hpp). What happens when a job must wait for resources is the
// policy, chosen with og-schedd --scheduler:
//   fifo      strict order: the first job that must wait holds up every job behind it
//             (Slurm's sched/builtin).
//   backfill  EASY backfill (the default): the first job that must wait gets a
//             reservation — the earliest time enough partitions free up for it, judged by
//             the time limits of what runs — and a job behind it starts now only where it
//             cannot delay that reservation: on other partitions, or finishing before it,
//             or in resources the reservation leaves over.
// The pass allocates what it starts on the partitions and gives every other job a reason.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/model.hpp"
#include "scheduler/placement.hpp"

namespace og {

struct PassCandidate {
  Job* job = nullptr;
  uint32_t count = 1;  // replicas still to place
  // Only for a job that already has replicas: the providers and operators holding them
  // (count is then taken from here). Most jobs have none, and a candidate stays small.
  std::unique_ptr<PlacementRequest> avoid;
};

struct PassStart {
  Job* job = nullptr;
  std::vector<Partition*> partitions;
  bool backfilled = false;  // started behind a reservation
};

struct Reservation {
  uint64_t job_id = 0;
  int64_t start_us = 0;
  std::vector<std::string> partitions;
};

struct PassOutcome {
  std::vector<PassStart> starts;
  std::optional<Reservation> reservation;
};

struct PassInput {
  std::vector<PassCandidate>& ranked;  // may start now, highest priority first
  std::map<std::string, Partition>& partitions;
  const std::map<uint64_t, uint32_t>& array_running;  // running tasks per array (%N throttle)
  int64_t now_us;
  std::function<double()> draw = nullptr;  // set: replicated jobs are placed by a weighted draw
};

class SchedulerPolicy {
 public:
  virtual ~SchedulerPolicy() = default;
  virtual std::string_view name() const = 0;
  virtual PassOutcome run(PassInput& input) const = 0;
};

class FifoScheduler : public SchedulerPolicy {
 public:
  std::string_view name() const override { return "fifo"; }
  PassOutcome run(PassInput& input) const override;
};

class EasyBackfillScheduler : public SchedulerPolicy {
 public:
  std::string_view name() const override { return "backfill"; }
  PassOutcome run(PassInput& input) const override;
};

// "fifo" or "backfill"; throws og::UsageError for anything else.
std::unique_ptr<SchedulerPolicy> make_scheduler(std::string_view name);

}  // namespace og
