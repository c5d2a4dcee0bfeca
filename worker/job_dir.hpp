// A job's work directory made ready to run, the same for every backend: a fresh
// directory per lease, the bundle unpacked, then .og (the script, TMPDIR, milestones and
// a checkpoint to resume from) created by us, the --chdir directory and the --output /
// --error files' directories.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bundle.hpp"
#include "jobscripts/filename_pattern.hpp"
#include "worker/backend.hpp"
#include "worker/lease.hpp"

namespace og {

struct PreparedJob {
  std::string job_dir;
  std::string cwd;     // where the script starts (job_dir or its --chdir)
  std::string script;  // job_dir/.og/job.sh
  std::string out, err;
  std::vector<std::string> unverified;  // --exclude-stdio: out and err, relative to job_dir
};

// Throws BundleError when the bundle may not be unpacked (the job is refused, BadBundle),
// std::runtime_error for anything else that stops it starting.
PreparedJob prepare_job_dir(const LeaseTask& task, const std::string& jobs_dir, const std::string& partition,
                            const BundleLimits& limits);

// prepare_job_dir for a backend's launch(): a bundle that may not be unpacked is refused
// (BadBundle, exit 126) through `done` and nothing is returned.
std::optional<PreparedJob> prepare_or_refuse(const LeaseTask& task, const std::string& jobs_dir,
                                             const std::string& partition, const BundleLimits& limits,
                                             const Backend::DoneCallback& done);

// Calls done(result) from a thread of its own, as a backend that ends a job from within
// launch() must (its caller may hold locks the callback takes).
void report_later(const Backend::DoneCallback& done, RunResult result);

// Where --output/--error write, relative to the job's directory: the pattern expanded,
// absolute paths reduced to their file name, and ".." refused (falls back to default).
std::string output_path_for(const LeaseTask& task, const std::string& pattern,
                            const std::string& partition);

// The job's output and error files, relative to its directory (what og-worker streams live).
jobscripts::StdioFiles stdio_files_of(const LeaseTask& task, const std::string& partition);

}  // namespace og
