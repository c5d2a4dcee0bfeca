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

struct DependencyLookup {
  // The jobs a target names (one job, one array task, or every task of an array).
  std::function<std::vector<Job>(const jobscripts::DependencyTarget&)> jobs;
  // Whether an earlier job of the same user and name is still unfinished (singleton).
  std::function<bool(const Job& dependent)> earlier_namesake_unfinished;
};

DependencyStatus evaluate_dependency(const jobscripts::DependencySpec& spec, const Job& dependent,
                                     const DependencyLookup& lookup, int64_t now_us);

}  // namespace og
