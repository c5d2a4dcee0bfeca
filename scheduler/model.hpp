// The scheduler's in-memory picture of jobs, their replicas (leases) and partitions.
// The store (job_store) is the durable copy; these are rebuilt from it on start.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/gpu_device.hpp"
#include "core/job_spec.hpp"
#include "core/job_state.hpp"
#include "core/outcome.hpp"
#include "jobscripts/dependency.hpp"

namespace og {

// A replica is one run of a job on one partition: a lease held by that partition's worker.
enum class ReplicaState {
  Assigned,  // matched, waiting for the worker to collect it
  Running,   // delivered to the worker
  Done,      // reported; votes in the quorum
  Lost,      // the worker died or forgot it (NODE_FAIL); does not vote
  Cancelled, // cancelled before it reported
};
std::string_view to_string(ReplicaState state);
ReplicaState replica_state_from_string(std::string_view text);
inline bool is_active(ReplicaState s) {
  return s == ReplicaState::Assigned || s == ReplicaState::Running;
}

struct Replica {
  uint64_t id = 0;  // the lease id
  uint64_t job_id = 0;
  std::string partition;
  ReplicaState state = ReplicaState::Assigned;
  bool cancel_requested = false;
  std::string outcome;  // the worker's verdict when Done: COMPLETED, FAILED, TIMEOUT, ...
  int exit_code = 0;
  std::string reason;         // why the worker refused to run it (BadSignature, BadBundle), or ""
  std::string root;           // manifest root when Done
  std::string manifest_json;  // the manifest as reported
  int64_t price_micros = 0;   // the match price: what this replica costs per hour
  uint64_t gpu_mask = 0;      // the GPUs it holds on its partition, by index
  int64_t start_us = 0;
  int64_t end_us = 0;
  uint64_t delivered_seq = 0;  // which poll of its partition carried it (in memory only)
  // A validation task (--verify=score): it runs the job's scoring script over its replicas'
  // outputs on a validator partition instead of running the job; when Done, its scores by
  // replica (lease id → [0, 1]). Kept in Job::validations, never in Job::replicas.
  bool validates = false;
  std::map<uint64_t, double> scores;
  std::map<uint32_t, std::string> milestones;  // index → digest reported (in memory only)
};

struct Job {
  // What a scheduling pass reads first, together (see JobSpec).
  uint64_t id = 0;
  JobState state = JobState::Pending;
  uint32_t array_max_running = 0;  // the array's %N throttle, 0 = none (from spec.array)
  uint64_t array_job_id = 0;
  int64_t array_task_id = -1;
  int64_t submit_us = 0;
  std::string reason = "None";
  std::string user;
  jobscripts::DependencySpec dependency;  // parsed from spec.dependency (no terms = none)
  JobSpec spec;
  int64_t start_us = 0;
  int64_t end_us = 0;
  int exit_code = 0;
  uint32_t requeue_count = 0;
  uint32_t extra_replicas = 0;  // added because the first ones disagreed
  // Adaptive replication: how many replicas it was given when it started on a trusted
  // provider (1, or 2 for a spot check); 0: as many as it asked for.
  uint32_t adaptive_replicas = 0;
  std::string canonical_root;
  uint64_t canonical_replica = 0;
  std::vector<uint64_t> replicas;  // every replica ever made, oldest first
  std::vector<uint64_t> validations;  // --verify=score: its validation tasks, oldest first
  uint32_t validators_wanted = 0;     // how many validators' scores its verdict needs (0: none asked yet)
  // Payment (escrow.hpp), once settled: what it cost in all, the fee within it, and the
  // providers paid.
  bool settled = false;
  std::set<uint32_t> paid_milestones;  // verified and paid (in memory; payments are idempotent)
  // The last milestone a quorum of replicas agreed on and the digest of its content (a
  // checkpoint, kept in the artifact store): a replica replacing a lost one resumes there.
  uint32_t checkpoint_milestone = 0;
  std::string checkpoint_sha256;
  // Whose bytes: handed to replicas only once a lease of this job uploaded them (a digest
  // reported as a milestone could name another job's blob).
  bool checkpoint_uploaded = false;
  int64_t cost_micros = 0;
  int64_t fee_micros = 0;
  int64_t validator_pay_micros = 0;  // --verify=score: of the cost, what its validators were paid
  std::string paid_to;
  uint32_t journal_seq = 0;  // the sequence number of its journal's last event

  bool is_array_task() const { return array_task_id >= 0; }
};

// When a job with this time limit, started at start_us, must end (kNever: no limit).
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
int64_t expected_end_us(const JobSpec& spec, int64_t start_us);

// What one replica holds on its partition, and until when at the latest.
struct Allocation {
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  uint32_t gpus = 0;
  int64_t end_us = kNever;
  uint64_t gpu_mask = 0;  // which of the partition's GPUs, by index (bit i: GPU i); 0 on a bare count
};

// Unknown: loaded from the store at og-schedd's start and not heard from since; it takes
// no work until its worker polls, and goes Down after a heartbeat period of silence.
enum class PartitionState { Up, Drain, Down, Unknown };
std::string_view to_string(PartitionState state);

// A partition's GPUs as its worker told them apart (nvidia-smi); replaced whole at each
// registration, never changed in place, so copies of a partition share it.
struct GpuOffer {
  // Replicas get GPUs by index. Empty with gpus > 0: a bare count (a worker told --gpus N
  // on a host where nvidia-smi sees fewer), allocated by number only.
  std::vector<GpuDevice> gpu_devices;
  std::string cuda_version;  // the newest CUDA its driver runs, "" unknown
  std::string driver_version;
  std::map<std::string, int64_t> gpu_prices;  // model → asking price per GPU-hour
};
inline const std::shared_ptr<const GpuOffer> kNoGpuOffer = std::make_shared<const GpuOffer>();

struct Partition {
  std::string name;
  std::string owner;  // the worker credential that registered it
  uint32_t nodes = 1;  // one machine, or the nodes of the Slurm cluster behind its worker
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  uint32_t gpus = 0;
  std::string gpu_type;  // the first GPU's model
  int64_t price_micros = 0;      // asking price per CPU-hour
  int64_t gpu_price_micros = 0;  // asking price per GPU-hour, for models gpu_prices does not name
  std::string operator_name;     // who runs it; replicas of a job go to distinct operators
  double reputation = 0.5;       // in [0, 1], 0.5 neutral; ranks equally priced offers
  int64_t reputation_us = 0;     // when it was last updated (it decays toward neutral)
  uint32_t valid_streak = 0;     // results in a row that a quorum of others confirmed
  std::vector<std::string> features;  // what -C/--constraint can ask for
  std::string isolation = "none";  // the worker's sandbox level (jail, rlimit, none)
  bool validator = false;          // it scores other providers' results (og-worker --validator), runs no jobs
  bool egress = false;             // may jobs that ask for --network=egress reach out
  std::vector<std::string> registries;  // where its worker pulls images and data from (--allow-registry)
  std::set<std::string> cached;         // image and data digests its worker holds (reported by polls)
  PartitionState state = PartitionState::Up;
  bool drain_requested = false;  // set by an operator; survives worker restarts
  int64_t registered_us = 0;
  int64_t last_seen_us = 0;  // monotonic; the last poll from its worker
  uint64_t instance = 0;     // which og-worker process registered it last (in memory only)
  // Allocated to active replicas (derived; rebuilt on start). A job holds at most one
  // replica per partition, so allocations are keyed by job id; used_* are their sums.
  std::map<uint64_t, Allocation> allocations;
  uint32_t used_cpus = 0;
  uint64_t used_memory_mb = 0;
  uint32_t used_gpus = 0;
  uint64_t used_gpu_mask = 0;
  // Its GPUs one by one; never null. Behind a pointer: a pass that scans every partition
  // for a job reads the fields above for each, these only for GPU jobs (a partition is a
  // map node: the smaller, the faster the scan).
  std::shared_ptr<const GpuOffer> gpu = kNoGpuOffer;

  // Throws std::logic_error when a GPU of `a` is held already: never given twice.
  void allocate(uint64_t job_id, const Allocation& a);
  void release(uint64_t job_id);
};

struct User {
  std::string name;
  std::string role;  // "admin", "user" or "worker"
};

// What a worker reports when a replica ends.
struct CompletionReport {
  Outcome outcome = Outcome::Completed;
  int exit_code = 0;
  std::string manifest_json;
  std::string root;
  std::string reason = "";  // the worker refused the job: BadSignature or BadBundle
  std::string handback_reason = "";  // why a HandedBack run was given back
  uint64_t pull_ms = 0;  // time its worker spent fetching the image and data (not billed)
  // A validation task's answer: per replica (lease id), its score and the manifest root it
  // scored (nullopt: the scoring script gave none; the task failed).
  std::optional<std::map<uint64_t, std::pair<double, std::string>>> scores = std::nullopt;
};

// What a job's owner may change while it is queued (og-scontrol update).
struct JobUpdate {
  std::optional<int64_t> time_limit_s;
  std::optional<int32_t> nice;
  std::optional<std::string> partition = {};  // "" : any partition
  std::optional<int64_t> max_price_micros = {};  // per CPU-hour; the escrow follows it
};

}  // namespace og
