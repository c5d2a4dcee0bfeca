#include "scheduler/order_book.hpp"

#include <algorithm>
#include <set>

namespace og {
namespace {

uint32_t free_cpus(const Partition& p) { return p.cpus > p.used_cpus ? p.cpus - p.used_cpus : 0; }

}  // namespace

OrderBook::OrderBook(std::map<std::string, Partition>& partitions) {
  for (auto& [name, p] : partitions)
    if (p.state == PartitionState::Up && !p.validator) sorted_.push_back(&p);  // validators run no jobs
  std::sort(sorted_.begin(), sorted_.end(), [](const Partition* a, const Partition* b) {
    if (a->price_micros != b->price_micros) return a->price_micros < b->price_micros;
    if (a->reputation != b->reputation) return a->reputation > b->reputation;
    return a->name < b->name;
  });
  while (leaves_ < sorted_.size()) leaves_ *= 2;
  free_.assign(2 * leaves_, 0);
  for (size_t i = 0; i < sorted_.size(); ++i) {
    index_[sorted_[i]] = i;
    free_[leaves_ + i] = free_cpus(*sorted_[i]);
  }
  for (size_t n = leaves_ - 1; n >= 1; --n) free_[n] = std::max(free_[2 * n], free_[2 * n + 1]);
}

void OrderBook::changed(const Partition& p) {
  auto it = index_.find(&p);
  if (it == index_.end()) return;
  size_t n = leaves_ + it->second;
  free_[n] = free_cpus(p);
  for (n /= 2; n >= 1; n /= 2) free_[n] = std::max(free_[2 * n], free_[2 * n + 1]);
}

size_t OrderBook::first_with(size_t from, uint32_t cpus) const {
  if (from >= sorted_.size()) return sorted_.size();
  // Climb from the leaf until a subtree to the right can hold it, then descend leftmost.
  size_t n = leaves_ + from;
  if (free_[n] >= cpus) return from;
  while (n > 1) {
    if (n % 2 == 0 && free_[n + 1] >= cpus) {
      n = n + 1;
      while (n < leaves_) n = free_[2 * n] >= cpus ? 2 * n : 2 * n + 1;
      return std::min(n - leaves_, sorted_.size());
    }
    n /= 2;
  }
  return sorted_.size();
}

std::vector<Partition*> OrderBook::pick(const Job& job, const PlacementRequest& request) const {
  const JobSpec& spec = job.spec;
  OfferMatcher offer(spec);
  uint32_t cpus = spec.total_cpus();
  std::vector<Partition*> chosen, group;  // group: fitting offers of one price and reputation
  std::set<std::string> operators;
  size_t i = first_with(0, cpus);
  while (i < sorted_.size() && chosen.size() < request.count) {
    const Partition* head = sorted_[i];
    if (spec.max_price_micros > 0 && head->price_micros > spec.max_price_micros) break;  // dearer on
    group.clear();
    size_t j = i;
    while (j < sorted_.size() && sorted_[j]->price_micros == head->price_micros &&
           sorted_[j]->reputation == head->reputation) {
      Partition* p = sorted_[j];
      bool ok = !request.exclude.count(p->name) && offer.can_hold(*p) && fits_now(*p, spec) &&
                !shares_identity(request.exclude_operators, *p) && p->valid_streak >= request.min_valid_streak &&
                (!request.admit || request.admit(*p));
      if (ok) group.push_back(p);
      j = first_with(j + 1, cpus);
    }
    std::sort(group.begin(), group.end(), less_loaded);
    for (Partition* p : group) {
      if (chosen.size() == request.count) break;
      if (first_of_its_operator(operators, *p)) chosen.push_back(p);
    }
    i = j;  // the next offer with room enough, in a dearer group
  }
  if (chosen.size() < request.count) chosen.clear();
  return chosen;
}

}  // namespace og
