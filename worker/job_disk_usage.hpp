// What a job's directory holds on disk, measured against the worker's limits. The local
// backend walks each running job's directory every few seconds and stops a job that is
// past either limit (reason DiskQuota): a job shares its worker's disk with every other
// job and with the worker itself. Blocks are what count, as on disk: a sparse file costs
// only what it has written.
#pragma once

#include <cstdint>
#include <string>

namespace og {

struct JobDiskLimits {
  uint64_t bytes = 0;  // 0: no limit
  uint64_t files = 0;  // every entry (files, directories, links); 0: no limit
};

struct JobDiskUsage {
  uint64_t bytes = 0;
  uint64_t files = 0;
  bool over = false;  // past a limit: the walk stopped there
  std::string describe(const JobDiskLimits& limits) const;
};

// Walks `dir` without following links or leaving its file system; stops as soon as a
// limit is passed.
JobDiskUsage measure_job_dir(const std::string& dir, const JobDiskLimits& limits);

}  // namespace og
