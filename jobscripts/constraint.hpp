// -C/--constraint: node features a job needs, as in Slurm's forms that fit one partition:
// "gpu", "avx512&nvme" (all of them), "h100|a100" or "[h100|a100]" (any of them), "[v100]".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace og::jobscripts {

struct Constraint {
  bool any_of = false;
  std::vector<std::string> features;
};

// Throws og::UsageError for mixed & and |, brackets within, counts or empty features.
Constraint parse_constraint_expr(std::string_view text);
// The validated text, for the job spec.
inline std::string parse_constraint(std::string_view text) {
  parse_constraint_expr(text);
  return std::string(text);
}
bool constraint_satisfied(const Constraint& constraint, const std::vector<std::string>& features);

}  // namespace og::jobscripts
