// The environment of a step's tasks: the caller's, as --export keeps it, and the SLURM_*
// variables srun gives each task (measured against Slurm 22.05's srun in
// tests/integration/test_srun.cpp).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "worker/srun/srun_options.hpp"

namespace og::srun {

// What every task of step `step_id` shares. Throws SrunError on a malformed --export.
Environment step_environment(const StepRequest& step, const Environment& caller, const Allocation& allocation,
                             uint32_t step_id, mode_t umask);

// One task's own: its rank in the step, on this (the step's only) node.
void add_task_variables(Environment& env, uint32_t rank);

std::vector<std::string> as_envp(const Environment& env);
// The reverse: "NAME=value" strings (environ, or a saved step environment), those that
// `keep` accepts by name.
Environment from_assignments(const std::vector<std::string_view>& assignments,
                             bool (*keep)(std::string_view name) = nullptr);
Environment from_environ(char** envp, bool (*keep)(std::string_view name) = nullptr);

// Where `program` may be, in order: itself when it names a path, else each directory of
// the environment's PATH (none without one).
std::vector<std::string> path_candidates(const Environment& env, const std::string& program);

}  // namespace og::srun
