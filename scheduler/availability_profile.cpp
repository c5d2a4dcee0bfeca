#include "scheduler/availability_profile.hpp"

#include <algorithm>

namespace og {

AvailabilityProfile::AvailabilityProfile(const Partition& p, int64_t now_us) {
  Free now{now_us, int64_t(p.cpus) - p.used_cpus, int64_t(p.memory_mb) - int64_t(p.used_memory_mb),
           int64_t(p.gpus) - p.used_gpus};
  steps_.push_back(now);
  // Each allocation gives its resources back when its time limit runs out.
  std::vector<const Allocation*> ending;
  for (const auto& [job, a] : p.allocations)
    if (a.end_us != kNever) ending.push_back(&a);
  std::sort(ending.begin(), ending.end(), [](auto* a, auto* b) { return a->end_us < b->end_us; });
  for (const Allocation* a : ending) {
    Free next = steps_.back();
    next.at_us = std::max(a->end_us, now_us);  // overdue work is about to end
    next.cpus += a->cpus;
    next.memory_mb += int64_t(a->memory_mb);
    next.gpus += a->gpus;
    if (next.at_us == steps_.back().at_us)
      steps_.back() = next;
    else
      steps_.push_back(next);
  }
}

int64_t AvailabilityProfile::end_of(int64_t start_us, int64_t duration_us) {
  return duration_us == kNever || start_us > kNever - duration_us ? kNever : start_us + duration_us;
}

bool AvailabilityProfile::enough(const Free& f, const Allocation& need) const {
  return f.cpus >= int64_t(need.cpus) && f.memory_mb >= int64_t(need.memory_mb) && f.gpus >= int64_t(need.gpus);
}

bool AvailabilityProfile::fits(int64_t start_us, const Allocation& need, int64_t duration_us) const {
  int64_t end = end_of(start_us, duration_us);
  // The step in force at start_us, then every step that begins before the end.
  auto first = std::upper_bound(steps_.begin(), steps_.end(), start_us,
                                [](int64_t t, const Free& f) { return t < f.at_us; });
  if (first != steps_.begin()) --first;
  for (auto it = first; it != steps_.end() && (it->at_us < end || it == first); ++it)
    if (!enough(*it, need)) return false;
  return true;
}

std::optional<int64_t> AvailabilityProfile::earliest_start(const Allocation& need, int64_t duration_us) const {
  // A start is only ever worth trying where something was given back: at a step.
  for (size_t i = 0; i < steps_.size(); ++i) {
    if (!enough(steps_[i], need)) continue;
    int64_t end = end_of(steps_[i].at_us, duration_us);
    size_t j = i + 1;
    while (j < steps_.size() && steps_[j].at_us < end && enough(steps_[j], need)) ++j;
    if (j == steps_.size() || steps_[j].at_us >= end) return steps_[i].at_us;
    i = j;  // steps up to j cannot start it: each would run into step j
  }
  return std::nullopt;
}

size_t AvailabilityProfile::split_at(int64_t at_us) {
  auto it = std::lower_bound(steps_.begin(), steps_.end(), at_us,
                             [](const Free& f, int64_t t) { return f.at_us < t; });
  if (it != steps_.end() && it->at_us == at_us) return size_t(it - steps_.begin());
  Free copy = it == steps_.begin() ? *it : *std::prev(it);  // the step in force at at_us
  copy.at_us = at_us;
  auto inserted = steps_.insert(it, copy);  // may reallocate: measure from the new begin
  return size_t(inserted - steps_.begin());
}

void AvailabilityProfile::reserve(int64_t start_us, const Allocation& need, int64_t duration_us) {
  int64_t end = end_of(start_us, duration_us);
  size_t first = split_at(std::max(start_us, steps_.front().at_us));
  size_t last = end == kNever ? steps_.size() : split_at(end);
  if (end != kNever && last < first) last = first;
  for (size_t i = first; i < last; ++i) {
    steps_[i].cpus -= need.cpus;
    steps_[i].memory_mb -= int64_t(need.memory_mb);
    steps_[i].gpus -= need.gpus;
  }
}

}  // namespace og
