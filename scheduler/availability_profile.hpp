// What a partition will have free from now on, as a step function of time: running
// replicas hold their resources until their time limits run out, reservations hold them
// over an interval. Backfill asks it whether a job started now would delay a reservation;
// og-squeue --start asks it when each pending job could start.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "scheduler/model.hpp"

namespace og {

class AvailabilityProfile {
 public:
  AvailabilityProfile(const Partition& p, int64_t now_us);

  // The earliest time ≥ now at which `need` is free for `duration_us` (kNever: for
  // ever); nullopt when never (work without a time limit holds what it needs).
  std::optional<int64_t> earliest_start(const Allocation& need, int64_t duration_us) const;
  // Whether `need` is free from start_us for duration_us.
  bool fits(int64_t start_us, const Allocation& need, int64_t duration_us) const;
  // Holds `need` from start_us for duration_us.
  void reserve(int64_t start_us, const Allocation& need, int64_t duration_us);

 private:
  struct Free {
    int64_t at_us;  // from this time until the next step
    int64_t cpus, memory_mb, gpus;
  };
  static int64_t end_of(int64_t start_us, int64_t duration_us);
  bool enough(const Free& f, const Allocation& need) const;
  size_t split_at(int64_t at_us);  // index of the step starting at at_us, made if needed
  std::vector<Free> steps_;
};

}  // namespace og
