#include "scheduler/start_planner.hpp"

#include <algorithm>
#include <set>

#include "core/money.hpp"

namespace og {

int64_t planned_duration_us(const JobSpec& spec) {
  return spec.time_limit_s > 0 ? spec.time_limit_s * 1'000'000 : kNever;
}

StartPlanner::StartPlanner(std::map<std::string, Partition>& partitions, int64_t now_us)
    : partitions_(partitions), now_us_(now_us) {}

AvailabilityProfile& StartPlanner::profile(const Partition& p) {
  auto it = profiles_.find(p.name);
  if (it == profiles_.end()) it = profiles_.emplace(p.name, AvailabilityProfile(p, now_us_)).first;
  return it->second;
}

std::optional<PlannedStart> StartPlanner::plan(const Job& job, const PlacementRequest& request) {
  const JobSpec& spec = job.spec;
  OfferMatcher offer(spec);
  int64_t duration = planned_duration_us(spec);
  struct Option {
    int64_t at_us, rate;
    Partition* p;
  };
  std::vector<Option> options;
  for (auto& [name, p] : partitions_) {
    if (p.state != PartitionState::Up || request.exclude.count(name) || !offer.can_hold(p) || !offer.price_ok(p))
      continue;
    if (shares_identity(request.exclude_operators, p) || p.valid_streak < request.min_valid_streak) continue;
    auto at = profile(p).earliest_start(allocation_for(p, spec, now_us_), duration);
    if (at) options.push_back({*at, hourly_rate_micros(p, spec), &p});
  }
  // Soonest first; among equally soon offers, the order book's ranking.
  std::sort(options.begin(), options.end(), [](const Option& a, const Option& b) {
    if (a.at_us != b.at_us) return a.at_us < b.at_us;
    if (a.rate != b.rate) return a.rate < b.rate;
    if (a.p->reputation != b.p->reputation) return a.p->reputation > b.p->reputation;
    return a.p->name < b.p->name;
  });
  PlannedStart planned;
  std::vector<const Option*> chosen;
  std::set<std::string> operators;
  for (const auto& o : options) {
    if (chosen.size() == request.count) break;
    if (first_of_its_operator(operators, *o.p)) chosen.push_back(&o);
  }
  if (chosen.size() < request.count || chosen.empty()) return std::nullopt;
  planned.start_us = chosen.back()->at_us;
  planned.cost_micros = duration == kNever ? -1 : 0;
  for (const Option* o : chosen) {
    // The replicas start together when they can; one that could not run on at the common
    // start keeps its own earlier slot.
    Allocation need = allocation_for(*o->p, spec, now_us_);
    AvailabilityProfile& prof = profile(*o->p);
    prof.reserve(prof.fits(planned.start_us, need, duration) ? planned.start_us : o->at_us, need, duration);
    planned.partitions.push_back(o->p);
    if (duration != kNever) planned.cost_micros += cost_for_seconds(o->rate, duration / 1'000'000);
  }
  return planned;
}

}  // namespace og
