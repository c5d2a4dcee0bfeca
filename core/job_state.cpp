#include "core/job_state.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/error.hpp"

namespace og {
namespace {

struct StateName {
  JobState state;
  std::string_view name;
  std::string_view code;
};

constexpr std::array<StateName, 9> kStates = {{
    {JobState::Pending, "PENDING", "PD"},
    {JobState::Running, "RUNNING", "R"},
    {JobState::Completing, "COMPLETING", "CG"},
    {JobState::Completed, "COMPLETED", "CD"},
    {JobState::Failed, "FAILED", "F"},
    {JobState::Cancelled, "CANCELLED", "CA"},
    {JobState::Timeout, "TIMEOUT", "TO"},
    {JobState::NodeFail, "NODE_FAIL", "NF"},
    {JobState::OutOfMemory, "OUT_OF_MEMORY", "OOM"},
}};

const StateName& entry(JobState state) {
  return kStates[static_cast<size_t>(state)];
}

}  // namespace

std::string_view to_string(JobState state) { return entry(state).name; }
std::string_view short_code(JobState state) { return entry(state).code; }

JobState job_state_from_string(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& s : kStates) {
    if (upper == s.name || upper == s.code) return s.state;
  }
  throw UsageError("unknown job state \"" + std::string(text) +
                   "\" (use PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, "
                   "TIMEOUT, NODE_FAIL, OUT_OF_MEMORY or their short codes)");
}

bool is_finished(JobState state) {
  return state != JobState::Pending && state != JobState::Running &&
         state != JobState::Completing;
}

bool can_transition(JobState from, JobState to) {
  if (from == to || is_finished(from)) return false;
  switch (from) {
    case JobState::Pending:
      return to == JobState::Running || to == JobState::Cancelled || to == JobState::Failed;
    case JobState::Running:
      return true;  // to COMPLETING, any final state, or back to PENDING on requeue
    case JobState::Completing:
      return is_finished(to);
    default:
      return false;
  }
}

}  // namespace og
