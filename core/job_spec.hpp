// The job specification: everything a requester asks of one batch job, as parsed from
// #SBATCH/#OG directives and command-line options. Travels as JSON from og-sbatch to
// og-schedd and from og-schedd to og-worker.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace og {

// Time limit sentinel values (seconds).
inline constexpr int64_t kTimeUnset = 0;       // use the scheduler's default
inline constexpr int64_t kTimeUnlimited = -1;  // "UNLIMITED" / "INFINITE"

struct JobSpec {
  // What scheduling reads for every pending job comes first, together: a pass over a long
  // queue touches a few cache lines per job, not the whole spec.
  // The size as sbatch derives it from its options (jobscripts/job_size.hpp): totals for
  // the whole job, and the per-node and per-task forms the job asked in, kept for the
  // Slurm-backed partitions and the job's SLURM_* variables.
  uint32_t nodes = 1;              // -N/--nodes (minimum)
  uint32_t nodes_max = 0;          // -N MIN-MAX, 0 = the minimum
  uint32_t ntasks = 1;             // NumTasks: -n, else nodes × --ntasks-per-node, else nodes
  uint32_t ntasks_per_node = 0;    // --ntasks-per-node, 0 = unset
  uint32_t cpus_per_task = 1;      // -c/--cpus-per-task
  uint32_t gpus = 0;               // all the job's GPUs, however it asked for them
  uint32_t gpus_per_node = 0;      // --gpus-per-node or --gres=gpu[:type]:N, 0 = not asked so
  uint32_t gpus_per_task = 0;      // --gpus-per-task, 0 = not asked so
  uint32_t replicas = 1;           // --replicas (OpenGrid)
  uint32_t quorum = 0;             // --quorum (OpenGrid), 0 = majority of replicas
  int32_t nice = 0;                // --nice
  uint64_t mem_mb = 0;             // --mem, per node, 0 = unset
  uint64_t mem_per_cpu_mb = 0;     // --mem-per-cpu, 0 = unset
  uint64_t mem_per_gpu_mb = 0;     // --mem-per-gpu, 0 = unset
  int64_t time_limit_s = kTimeUnset;  // -t/--time
  int64_t begin_time = 0;          // --begin, unix seconds, 0 = now
  int64_t max_price_micros = 0;    // --max-price per CPU-hour, micro-units, 0 = no cap
  int64_t max_gpu_price_micros = 0;  // --max-gpu-price per GPU-hour, 0 = no cap
  bool hold = false;               // -H/--hold
  bool requeue = true;             // --requeue / --no-requeue
  bool exclusive = false;          // --exclusive: the whole partition, shared with no job
  std::string partition;           // -p/--partition, empty = any
  std::string gpu_type;            // empty = any
  uint64_t gpu_mem_mb = 0;         // #OG --gpu-mem: memory each GPU must have, 0 = any
  std::string cuda;                // #OG --cuda: the driver's CUDA version at least, "" = any
  std::string constraint;          // -C/--constraint: features, joined by & (all) or | (any)
  std::string account;             // -A/--account
  std::string qos;                 // -q/--qos

  std::string name;                // -J/--job-name (default: script file name)
  std::string output;              // -o/--output pattern, empty = slurm-%j.out
  std::string error;               // -e/--error pattern, empty = same as output
  std::string array;               // -a/--array, raw validated spec
  std::string dependency;          // -d/--dependency, raw validated spec
  std::string export_mode = "ALL"; // --export: ALL, NONE (plus named variables)
  std::map<std::string, std::string> environment;  // variables exported by name
  std::string chdir;               // -D/--chdir, relative to the job directory
  std::string comment;             // --comment
  std::string network = "loopback";  // --network=none|loopback|egress (OpenGrid)
  std::string isolation;           // --isolation: the weakest sandbox level allowed, "" = any
  std::string verify = "exact";    // --verify=exact|fuzzy:REL_TOL (OpenGrid)
  bool exclude_stdio = false;      // --exclude-stdio: stdout/stderr are not part of the result
  std::string script;              // the whole script text
  std::vector<std::string> script_args;  // arguments after the script path
  std::string script_name;         // base name of the script file
  std::string submit_dir;          // where og-sbatch ran (for %-patterns and --wait)
  // The signed bundle (core/job_signature): files shipped with the script, and who vouches
  // for what runs.
  std::string bundle_sha256;       // SHA-256 of the bundle archive, "" = no files
  uint64_t bundle_bytes = 0;
  std::string signer;              // Ed25519 public key (hex) of the requester
  std::string signature;           // over job_signing_payload(user, spec)
  std::vector<std::string> secrets;  // names of the secrets og-schedd keeps for the job
  // Software and data from an OCI registry, pinned by digest at submission (og-sbatch
  // resolves tags): REGISTRY/REPOSITORY@sha256:HEX. Covered by the signature.
  std::string image;                         // --container-image: the job's root, "" = the provider's
  // --data NAME=REF: mounted read-only at /data/NAME. REF may also be job:ID, the accepted
  // result of an earlier job of the same user (result_job_of).
  std::map<std::string, std::string> data;

  uint32_t total_cpus() const { return ntasks * cpus_per_task; }
  // Memory the whole job needs, in MiB, as Slurm's TRES counts it (0 = no explicit request).
  uint64_t total_mem_mb() const {
    if (mem_mb) return mem_mb * nodes;  // --mem is per node
    if (mem_per_cpu_mb) return mem_per_cpu_mb * total_cpus();
    return mem_per_gpu_mb * gpus;
  }
};

// Sandbox levels are ordered: a job asking for --isolation=L runs where a partition's
// level is at least L. none 0 (also "", no demand), rlimit 1, jail 2; -1 unknown.
int isolation_rank(std::string_view level);

// A secret's name: 1-64 of [A-Za-z0-9_.-], not starting with '.' (a file name in
// /run/secrets, never a path).
bool is_secret_name(std::string_view name);

// The job whose accepted result a --data reference names ("job:42" → 42), or nothing
// when it names a registry's data set.
std::optional<uint64_t> result_job_of(std::string_view ref);

nlohmann::json to_json(const JobSpec& spec);
// Throws og::ApiError (code "invalid_spec") naming the field on bad input.
JobSpec job_spec_from_json(const nlohmann::json& j);

}  // namespace og
