// One lease as the worker sees it: which job to run, for whom, with what spec.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/outcome.hpp"
#include "core/job_spec.hpp"

namespace og {

struct LeaseTask {
  uint64_t lease_id = 0;
  uint64_t job_id = 0;
  std::string user;
  uint64_t array_job_id = 0;
  int64_t array_task_id = -1;
  uint32_t requeue_count = 0;
  JobSpec spec;
  std::vector<uint32_t> gpu_indices;  // the GPUs og-schedd gave it, by this worker's index
  std::map<std::string, std::string> secrets;  // fetched for this lease only; never logged
  std::string bundle;                          // the archive, checked against spec.bundle_sha256
  // A replica replacing a lost one: the job's last verified checkpoint (milestone, digest)
  // and, once fetched and checked, its content, handed to the job as $OG_RESUME_CHECKPOINT.
  uint32_t resume_milestone = 0;
  std::string resume_sha256;
  std::string resume_checkpoint;
  // The job's image and data sets, once in this worker's cache (worker/image_store.hpp).
  std::string image_root;
  std::vector<std::string> image_env;
  std::vector<std::pair<std::string, std::string>> data_mounts;  // cached directory → /data/NAME
  // A validation task (--verify=score): instead of the job's script, its scoring script
  // (from the signed spec) runs over these replicas' outputs, each checked against the
  // manifest root it reported and mounted read-only at /replicas/LEASE.
  struct Validation {
    std::string script;
    std::vector<std::pair<uint64_t, std::string>> replicas;  // lease id → manifest root
  };
  std::optional<Validation> validation;
};

// Where a validation task finds the replicas' outputs, and where its scores go (in the
// job's directory, left out of any result).
inline constexpr const char* kReplicasMount = "/replicas";
inline constexpr const char* kScoresFile = "scores.json";  // in the job's .og directory

// Throws og::ApiError when the scheduler sent something malformed.
LeaseTask lease_from_json(const nlohmann::json& j);

// How a run ended, as the worker reports it.
struct RunResult {
  uint64_t lease_id = 0;
  Outcome outcome = Outcome::Completed;
  int exit_code = 0;
  std::string job_dir;  // where the outputs are
  std::vector<std::string> unverified;  // paths in job_dir left out of the result (--exclude-stdio)
  std::string reason = "";  // refused, not run (BadSignature, BadBundle), or stopped for DiskQuota
  std::string handback_reason = "";  // HandedBack: why the provider gives it back
  uint64_t pull_ms = 0;  // time spent fetching its image and data before it ran
};

}  // namespace og
