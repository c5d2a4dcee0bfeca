// A job as Slurm's commands name it (scancel, squeue -j, sacct -j, scontrol): 42 (a job,
// or every task of the array whose id it is), 42_7 (one task of array 42) or 42_[1-3,7]
// (those tasks). Lists separate them with commas outside brackets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace og::jobscripts {

struct JobRef {
  uint64_t id = 0;
  std::vector<uint32_t> tasks;  // sorted; empty: the job itself, or all of the array it names
};

// Throws og::UsageError saying what a job id looks like.
JobRef parse_job_ref(std::string_view text);
std::vector<JobRef> parse_job_refs(std::string_view list);
std::string to_string(const JobRef& ref);  // 42, 42_7, 42_[1-3,7] (as squeue folds tasks)
// Task ids folded into Slurm's bracket list: {1,2,3,7} → "1-3,7".
std::string fold_task_ids(const std::vector<uint32_t>& sorted);

}  // namespace og::jobscripts
