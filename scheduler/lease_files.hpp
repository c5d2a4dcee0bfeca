// The files that travel with a lease: what its worker downloads (the job's bundle,
// secrets and checkpoint) and what it uploads (outputs, a verified checkpoint). Each call
// is for the worker holding the lease only (Forbidden otherwise; Conflict once it ended).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "scheduler/model.hpp"
#include "scheduler/submissions.hpp"

namespace og {

// The data name under which a validation task reads a replica's outputs: "replica:LEASE".
inline constexpr std::string_view kReplicaDataPrefix = "replica:";

class LeaseFiles {
 public:
  virtual ~LeaseFiles() = default;
  // The digest of the job's bundle ("" = none), of the checkpoint it resumes from ("" =
  // none), and its secrets.
  virtual std::string lease_bundle(const User& user, uint64_t lease_id) = 0;
  virtual std::string lease_checkpoint(const User& user, uint64_t lease_id) = 0;
  virtual Secrets lease_secrets(const User& user, uint64_t lease_id) = 0;
  // The manifest of the accepted result the lease's job reads as data set `name`
  // (--data NAME=job:ID), or for a validation task a scored replica's outputs (kReplicaDataPrefix +
  // its lease id): NotFound when it names none, Conflict when there is none.
  virtual std::string lease_data_manifest(const User& user, uint64_t lease_id, const std::string& name) = 0;
  // Whether the lease holder may upload `digest` as its job's checkpoint: only the one a
  // quorum verified (uploads of anything else are refused, nothing is charged).
  virtual bool is_lease_checkpoint(const User& user, uint64_t lease_id, const std::string& digest) = 0;
  // That checkpoint's bytes arrived from the lease holder: from now on replicas get it.
  virtual void checkpoint_uploaded(const User& user, uint64_t lease_id, const std::string& digest) = 0;
  // Whether the lease's job has its checkpoint's bytes already (else it asks for them).
  virtual bool checkpoint_held(const User& user, uint64_t lease_id) = 0;
  virtual uint64_t max_job_output() const = 0;
  // Counts an output upload against its lease: at most max_job_output bytes (TooLarge beyond).
  virtual void charge_upload(const User& user, uint64_t lease_id, uint64_t bytes) = 0;
  // Once the upload's bytes are stored (they hash to `digest`): the digest is the lease's
  // to name in its report.
  virtual void record_upload(const User& user, uint64_t lease_id, const std::string& digest) = 0;
  // Whether the lease may name (or ask about) the blob `digest`: one this lease uploaded. A
  // blob of another lease is not its to name, even where the worker knows its hash (a
  // replica must upload what it reports: a re-upload costs nothing).
  virtual bool lease_may_name(const User& user, uint64_t lease_id, const std::string& digest) = 0;
  // Nothing when `user` holds the lease and it still runs (its live output may come).
  virtual void check_holder(const User& user, uint64_t lease_id) = 0;
};

}  // namespace og
