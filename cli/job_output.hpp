// Waiting for jobs and bringing their accepted outputs home (og-sbatch --wait).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/http_client.hpp"

namespace og::cli {

// Waits for every job in ids, copies each accepted result's files into dir, and returns
// the exit status sbatch --wait would: the highest job exit code, or 1 for a job that
// failed without one (cancelled, timed out, no quorum, node failure).
int wait_and_fetch(HttpClient& client, const std::vector<uint64_t>& ids, const std::string& dir,
                   bool show_progress = false);

// Copies the files of a job's accepted result into dir; returns how many were written.
// With show_progress (callers pass: stderr is a terminal), files of 1 MiB or more show a
// progress bar on stderr as they arrive.
size_t fetch_result(HttpClient& client, uint64_t job_id, const std::string& dir, bool show_progress = false);

}  // namespace og::cli
