// Slurm job-array syntax (-a/--array).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace og::jobscripts {

inline constexpr uint32_t kMaxArrayTasks = 10'000;
inline constexpr uint32_t kMaxArrayTaskId = 4'000'000;

struct ArraySpec {
  std::vector<uint32_t> task_ids;  // sorted, without duplicates
  uint32_t max_running = 0;        // "%N" throttle, 0 = no throttle
};

// "0-99%10", "1,3,5", "0-15:4", "7" and comma lists of those. Throws og::UsageError.
ArraySpec parse_array_spec(std::string_view text);

}  // namespace og::jobscripts
