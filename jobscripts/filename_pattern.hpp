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

// Where --output (or --error) writes, relative to the job's working directory: the pattern
// expanded (slurm-%j.out, or slurm-%A_%a.out for an array task, when empty), an absolute
// path reduced to its file name, and a path that climbs with ".." given the default.
std::string stdio_file_path(const std::string& pattern, const PatternContext& ctx);

// The job's output and error files relative to its directory (the --chdir below it); the
// error file is the output file when --error is not given.
struct StdioFiles {
  std::string out, err;
};
StdioFiles stdio_files(const std::string& chdir, const std::string& output, const std::string& error,
                       const PatternContext& ctx);

}  // namespace og::jobscripts
