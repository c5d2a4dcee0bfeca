#include "scheduler/dependency_policy.hpp"

namespace og {
namespace {

using Kind = jobscripts::DependencyTerm::Kind;

DependencyStatus status_of(Kind kind, const TargetState& target, int64_t delay_minutes, int64_t now_us) {
  bool finished = is_finished(target.state);
  switch (kind) {
    case Kind::After:  // once the target has started (plus the delay), or ended without starting
      if (finished && target.start_us == 0) return DependencyStatus::Satisfied;
      if (target.state != JobState::Pending && target.start_us > 0)
        return now_us >= target.start_us + delay_minutes * 60'000'000 ? DependencyStatus::Satisfied
                                                                      : DependencyStatus::Waiting;
      return finished ? DependencyStatus::Satisfied : DependencyStatus::Waiting;
    case Kind::AfterAny:
    case Kind::AfterBurstBuffer:  // no burst buffers here: the same as afterany
      return finished ? DependencyStatus::Satisfied : DependencyStatus::Waiting;
    case Kind::AfterOk:
    case Kind::AfterCorr:
      if (!finished) return DependencyStatus::Waiting;
      return target.state == JobState::Completed ? DependencyStatus::Satisfied
                                                 : DependencyStatus::NeverSatisfied;
    case Kind::AfterNotOk:
      if (!finished) return DependencyStatus::Waiting;
      return target.state == JobState::Completed ? DependencyStatus::NeverSatisfied
                                                 : DependencyStatus::Satisfied;
    case Kind::Singleton:
      break;
  }
  return DependencyStatus::Waiting;
}

// All of `parts` (or any of them) folded into one status.
DependencyStatus combine(const std::vector<DependencyStatus>& parts, bool any_of) {
  bool all_satisfied = true, all_never = true;
  for (auto s : parts) {
    if (any_of && s == DependencyStatus::Satisfied) return DependencyStatus::Satisfied;
    if (!any_of && s == DependencyStatus::NeverSatisfied) return DependencyStatus::NeverSatisfied;
    all_satisfied = all_satisfied && s == DependencyStatus::Satisfied;
    all_never = all_never && s == DependencyStatus::NeverSatisfied;
  }
  if (any_of) return all_never ? DependencyStatus::NeverSatisfied : DependencyStatus::Waiting;
  return all_satisfied ? DependencyStatus::Satisfied : DependencyStatus::Waiting;
}

}  // namespace

DependencyStatus evaluate_dependency(const jobscripts::DependencySpec& spec, const Job& dependent,
                                     const DependencyLookup& lookup, int64_t now_us) {
  std::vector<DependencyStatus> terms;
  for (const auto& term : spec.terms) {
    if (term.kind == Kind::Singleton) {
      terms.push_back(lookup.earlier_namesake_unfinished(dependent) ? DependencyStatus::Waiting
                                                                    : DependencyStatus::Satisfied);
      continue;
    }
    // Every job a term names must satisfy it (after:1:2 waits for both).
    std::vector<DependencyStatus> targets;
    for (auto target : term.targets) {
      if (term.kind == Kind::AfterCorr && dependent.is_array_task() && !target.all_tasks &&
          target.array_task < 0)
        target.array_task = dependent.array_task_id;  // task N waits for task N
      auto jobs = lookup.jobs(target);
      if (jobs.empty()) targets.push_back(DependencyStatus::NeverSatisfied);  // gone or never was
      for (const auto& job : jobs)
        targets.push_back(status_of(term.kind, job, target.delay_minutes, now_us));
    }
    terms.push_back(combine(targets, /*any_of=*/false));
  }
  return combine(terms, spec.any_of);
}

}  // namespace og
