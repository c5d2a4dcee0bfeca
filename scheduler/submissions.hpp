// Submission and ownership: what a requester does to its own jobs (og-sbatch, og-scancel,
// og-scontrol hold/release/requeue/update, og-dispute) and the bundles they name.
// Every call checks that the user may act on the job it names.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/job_view.hpp"

namespace og {

// A job's secrets: name → contents. Kept only until the job ends; never logged.
using Secrets = std::map<std::string, std::string>;

struct TestOnlyResult {
  std::vector<std::string> partitions;  // where it would start now (empty: it would wait)
  std::string reason;                   // why it would wait
  std::string why;                      // in words, where it would wait for ever or for a price
  std::optional<StartEstimate> estimate;
};

class Submissions {
 public:
  virtual ~Submissions() = default;
  // Returns the ids created (one, or one per array task). `audit_of`: the job whose
  // result this one re-runs (a dispute), else 0.
  virtual std::vector<uint64_t> submit(const User& user, JobSpec spec, const Secrets& secrets = {},
                                       uint64_t audit_of = 0) = 0;
  // What would happen if the job were submitted now: where, or why not, and when.
  virtual TestOnlyResult test_only(const User& user, JobSpec spec) = 0;
  virtual JobView cancel_job(const User& user, uint64_t id) = 0;
  virtual JobView set_hold(const User& user, uint64_t id, bool hold) = 0;
  // og-scontrol requeue: a running job is stopped and goes back to the queue.
  virtual JobView requeue_job(const User& user, uint64_t id) = 0;
  // og-scontrol update: change a pending job's time limit, nice value or partition.
  virtual JobView update_job(const User& user, uint64_t id, const JobUpdate& update) = 0;
  // The requester contests a job's accepted result within the dispute window: an audit job
  // re-runs it (same signed script and bundle, three replicas, paid like any job) on
  // established providers that share no identity with those that ran it. If the audit's
  // result, confirmed by enough of them, differs, the job is overturned: the providers
  // that agreed on the old result are slashed, half to the requester. Returns the audit's id.
  virtual uint64_t dispute(const User& user, uint64_t job_id) = 0;

  // Bundles. A job may name only a bundle its own user uploaded. Each user holds a bounded
  // number of bytes of them: admit_bundle refuses (TooLarge) an upload beyond, after giving
  // up every bundle that no unfinished job of its uploader names a grace period after its
  // upload — `remove` deletes such a file, under the lock that records owners, so the same
  // bytes uploaded meanwhile by someone else are kept.
  virtual uint64_t max_bundle() const = 0;
  virtual void admit_bundle(const User& user, const std::string& sha256, uint64_t bytes,
                            const std::function<void(const std::string&)>& remove) = 0;
  virtual void add_bundle_owner(const User& user, const std::string& sha256, uint64_t bytes) = 0;
};

}  // namespace og
