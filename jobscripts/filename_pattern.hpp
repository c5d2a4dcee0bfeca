// sbatch's %-patterns in --output/--error file names.
#pragma once

#include <cstdint>
#include <string>

namespace og::jobscripts {

struct PatternContext {
  uint64_t job_id = 0;
  std::string job_name;
  std::string user;
  std::string node;
  uint64_t array_job_id = 0;   // 0 = not an array job
  int64_t array_task_id = -1;  // -1 = not an array task
};

// Expands %j %x %u %A %a %N and %%, with an optional zero-pad width (%4j). Unknown
// patterns such as %z are kept verbatim.
std::string expand_filename_pattern(const std::string& pattern, const PatternContext& ctx);

}  // namespace og::jobscripts
