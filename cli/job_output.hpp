// Waiting for jobs and bringing their accepted outputs home (og-sbatch --wait).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/http_client.hpp"

namespace og::cli {

struct FetchOptions {
  bool show_progress = false;  // files of 1 MiB or more show a progress bar on stderr
  bool force = false;          // replace local files that differ (else the job's goes beside)
  std::string program;         // who speaks in the messages on stderr ("og-fetch")
};

struct FetchSummary {
  size_t written = 0;           // new files, and inputs the job changed
  size_t already_here = 0;      // the local file is the job's version
  size_t unchanged_inputs = 0;  // given to the job, left as they were: not fetched
  size_t beside = 0;            // local files kept, the job's version written beside
};

// Waits for every job in ids, brings each accepted result's files into dir, and returns
// the exit status sbatch --wait would: the highest job exit code, or 1 for a job that
// failed without one (cancelled, timed out, no quorum, node failure).
int wait_and_fetch(HttpClient& client, const std::vector<uint64_t>& ids, const std::string& dir,
                   const FetchOptions& options);

// Brings the files of a job's accepted result into dir as result_placement.hpp says, each
// checked against the result's SHA-256; a file kept and one written beside it are said
// on stderr.
FetchSummary fetch_result(HttpClient& client, uint64_t job_id, const std::string& dir, const FetchOptions& options);

// One replica's outputs as its provider reported them: no quorum checked them.
struct UnverifiedOutputs {
  uint64_t lease_id;
  std::string partition, outcome;
  int exit_code;
  std::string dir;  // where they were written
  size_t files;
};

// For a job without an accepted result (failed, timed out, no quorum): each replica's
// outputs, checked only against that provider's own manifest, into
// dir/job<ID>.unverified/lease-<N>/ — a directory of their own, never over your files.
std::vector<UnverifiedOutputs> fetch_unverified(HttpClient& client, uint64_t job_id, const std::string& dir,
                                                const FetchOptions& options);

}  // namespace og::cli
