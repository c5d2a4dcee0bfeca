// The order book of one pass: the offers (partitions that are UP) sorted by CPU price,
// then reputation. For a job that pays by the CPU alone (no GPUs, not --exclusive) that
// is placement's ranking, so a placement walks the book from the cheapest offer and stops
// as soon as it has enough instead of looking at every partition. A max-tree of free
// CPUs over the book lets the walk jump over offers too full for the job.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/placement.hpp"

namespace og {

class OrderBook {
 public:
  explicit OrderBook(std::map<std::string, Partition>& partitions);
  // Whether pick() ranks this job's offers as place_replicas() would.
  static bool applies(const JobSpec& spec) {
    return spec.gpus == 0 && !spec.exclusive && spec.image.empty() && spec.data.empty();
  }
  // Exactly request.count partitions, or none.
  std::vector<Partition*> pick(const Job& job, const PlacementRequest& request) const;
  // Call after allocating on (or releasing from) a partition of the book.
  void changed(const Partition& p);

 private:
  size_t first_with(size_t from, uint32_t cpus) const;  // size() when none
  std::vector<Partition*> sorted_;
  std::unordered_map<const Partition*, size_t> index_;
  size_t leaves_ = 1;
  std::vector<uint32_t> free_;  // max free CPUs per subtree; leaves at [leaves_, 2·leaves_)
};

}  // namespace og
