// Queries: what clients read (og-squeue, og-scontrol show, og-sacct, og-sprio, og-sinfo,
// og-fetch, og-swait, /metrics). None of them holds the lock that guards job state while
// it reads the database: finished jobs come from a connection of their own.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/job_events.hpp"
#include "scheduler/job_view.hpp"
#include "scheduler/priority.hpp"

namespace og {

// Where a job's output can be read: one of its replicas (lease 0: none ran yet), whether
// it still runs (its worker then streams what it writes), what it reported (its files),
// and the paths of its output and error files in it.
struct OutputSource {
  uint64_t lease = 0;
  bool running = false;
  bool job_finished = false;  // nothing more will run (else a lost replica may be replaced)
  std::string manifest_json;
  std::string out, err;
};

class JobQueries {
 public:
  virtual ~JobQueries() = default;
  virtual JobListing list_jobs(const JobFilter& filter) = 0;
  virtual std::optional<JobDetail> get_job(uint64_t id) = 0;
  // The job's journal, oldest first: for its owner or an admin (Forbidden otherwise).
  virtual std::vector<JobEvent> job_events(const User& user, uint64_t id) = 0;
  // Blocks until the job has finished, or its state is no longer `since` (when given),
  // or timeout_us passed; returns its latest view.
  virtual JobView wait_job(uint64_t id, int64_t timeout_us, const std::string& since = "") = 0;
  virtual std::vector<JobView> accounting(int64_t since_us, const JobFilter& filter) = 0;
  // Pending jobs with their priority factors, highest priority first (og-sprio).
  virtual std::vector<std::pair<JobView, PriorityFactors>> priorities() = 0;
  // og-squeue --start: the planned start of pending jobs that may run (by job id).
  virtual std::map<uint64_t, StartEstimate> expected_starts() = 0;
  // The canonical manifest of a finished job, for fetching its files (its owner's).
  virtual std::string canonical_manifest(const User& user, uint64_t job_id) = 0;
  // The manifest one replica (lease) of the job reported, whatever the quorum made of it:
  // its outputs as that provider gave them, unverified (its owner's). NotFound for a lease
  // not the job's; Conflict where the replica reported no outputs.
  virtual std::string replica_manifest(const User& user, uint64_t job_id, uint64_t lease_id) = 0;
  // Its owner's: replica N (1 = the first made), or with 0 the one to follow — `following`
  // (a lease of the job) while it runs or has files, else the accepted one, else the first
  // running, else the first still to start, else the last that reported files, else the last.
  virtual OutputSource output_source(const User& user, uint64_t job_id, uint32_t replica, uint64_t following) = 0;
  virtual std::vector<Partition> partitions() = 0;
  // The Prometheus text for /metrics: jobs and partitions by state, queue depth, worker
  // heartbeats, ledger totals, and the counters and histograms kept as it works.
  virtual std::string metrics_text() = 0;
};

}  // namespace og
