#include "worker/job_disk_usage.hpp"

#include <sys/stat.h>

#include <filesystem>

namespace og {

namespace fs = std::filesystem;

std::string JobDiskUsage::describe(const JobDiskLimits& limits) const {
  if (limits.files > 0 && files > limits.files)
    return "more than " + std::to_string(limits.files) + " files in the job directory (og-worker --job-files)";
  return "more than " + std::to_string(limits.bytes >> 20) + " MiB in the job directory (og-worker --job-disk)";
}

JobDiskUsage measure_job_dir(const std::string& dir, const JobDiskLimits& limits) {
  JobDiskUsage usage;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  struct stat top {};
  if (ec || ::lstat(dir.c_str(), &top) != 0) return usage;
  for (; it != end; it.increment(ec)) {
    if (ec) break;  // the job removed what we were walking: measured again next time
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && st.st_dev != top.st_dev) it.disable_recursion_pending();  // a mount: not ours
    ++usage.files;
    usage.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    if ((limits.files > 0 && usage.files > limits.files) || (limits.bytes > 0 && usage.bytes > limits.bytes)) {
      usage.over = true;
      break;
    }
  }
  return usage;
}

}  // namespace og
