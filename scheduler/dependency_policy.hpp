// Job dependencies, as Slurm evaluates them (after, afterany, afterok, afternotok,
// aftercorr, singleton; ',' all-of and '?' any-of). A policy in its own file, in the
// spirit of Flux's dependency-after plugin: it only reads the jobs it is shown.
#pragma once

#include <functional>
#include <vector>

#include "jobscripts/dependency.hpp"
#include "scheduler/model.hpp"

namespace og {

enum class DependencyStatus { Satisfied, Waiting, NeverSatisfied };

// All a dependency needs to know of a job it names.
struct TargetState {
  JobState state = JobState::Pending;
  int64_t start_us = 0;
};
inline TargetState target_state(const Job& job) { return {job.state, job.start_us}; }

struct DependencyLookup {
  // The jobs a target names (one job, one array task, or every task of an array).
  std::function<std::vector<TargetState>(const jobscripts::DependencyTarget&)> jobs;
  // Whether an earlier job of the same user and name is still unfinished (singleton).
  std::function<bool(const Job& dependent)> earlier_namesake_unfinished;
};

DependencyStatus evaluate_dependency(const jobscripts::DependencySpec& spec, const Job& dependent,
                                     const DependencyLookup& lookup, int64_t now_us);

}  // namespace og
