// Runs leases on a Slurm cluster through slurmrestd (REST API v0.0.38, JWT auth): each
// lease's work directory is prepared on the cluster's shared file system, then submitted
// as a Slurm job (resources, time limit and environment mapped); submissions and cancels
// go to slurmrestd from a thread of their own, so that a slow slurmrestd never holds up
// the worker's polls (its heartbeat). Leases still waiting to be submitted when the worker
// stops are handed back (HANDED_BACK). Slurm's state is polled
// and mapped to an outcome; cancel is a DELETE. A token slurmrestd refuses is renewed by
// a configured command (also before it expires). While slurmrestd does not answer, available() is false: the
// worker stops taking leases and og-schedd, missing its heartbeats, requeues them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/bundle.hpp"
#include "core/http_client.hpp"
#include "worker/backend.hpp"
#include "worker/job_dir.hpp"

namespace og {

struct SlurmBackendOptions {
  std::string rest_url;         // slurmrestd, e.g. http://127.0.0.1:6820
  std::string user;             // the cluster account jobs run as (X-SLURM-USER-NAME)
  std::string token_file;       // its JWT (X-SLURM-USER-TOKEN), read again after renewal
  std::string token_command;    // renews token_file when slurmrestd refuses it ("" = none)
  std::string slurm_partition;  // "" = the cluster's default partition
  std::string jobs_dir;         // work directories, on the cluster's shared file system
  std::string partition;        // this worker's OpenGrid partition name
  BundleLimits bundle_limits = {};
  int poll_ms = 200;
};

// What the cluster offers: the nodes of the Slurm partition, added up.
struct SlurmCluster {
  uint32_t nodes = 0;
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
};

// A Slurm job state as an OpenGrid outcome; nullopt while it has not ended. Node and boot
// failures, preemption and cancellation hand the lease back (og-schedd runs it elsewhere,
// or ends it as cancelled where it had asked for that).
std::optional<Outcome> slurm_outcome(const std::string& slurm_state);

class SlurmBackend : public Backend {
 public:
  explicit SlurmBackend(SlurmBackendOptions options);
  ~SlurmBackend() override;
  // Reads the partition's nodes from slurmrestd; throws std::runtime_error when it cannot.
  SlurmCluster discover();
  void launch(const LeaseTask& task, DoneCallback done) override;
  void cancel(uint64_t lease_id) override;
  void cancel_all() override;
  std::string job_dir(uint64_t lease_id) override;
  bool available() override { return reachable_ && !closing_; }
  void shutdown() override;

 private:
  struct Running {
    uint64_t slurm_id = 0;
    std::string job_dir;
    std::vector<std::string> unverified;
    DoneCallback done;
  };
  // One request to slurmrestd (serialised: one connection), renewing the token once
  // when it is refused; throws std::runtime_error with slurmrestd's errors.
  nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body);
  void renew_token(const std::string& why);  // runs token_command, reads token_file again
  nlohmann::json submission(const LeaseTask& task, const std::string& cwd, const std::string& script,
                            const std::string& out, const std::string& err, const std::string& job_dir);
  void poll_loop();
  // Makes the worker's requests to slurmrestd (submissions, cancels), one at a time, so
  // that none of them waits on the worker's poll thread, its heartbeat.
  void request_loop();
  struct Queued {
    LeaseTask task;
    PreparedJob prepared;
    DoneCallback done;
    bool cancelled = false;  // cancel() came before it was submitted
  };
  void submit(Queued& job);
  void delete_slurm_job(uint64_t lease_id, uint64_t slurm_id);
  void queue_delete(uint64_t lease_id, uint64_t slurm_id);  // with mu_ held
  // Run as root for another cluster account: the work directory becomes that account's,
  // so its job can run the script and write its outputs.
  void give_to_user(const std::string& job_dir);

  SlurmBackendOptions options_;
  std::mutex http_mu_;
  HttpClient http_;
  std::string token_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Running> running_;  // by lease id
  std::deque<Queued> to_submit_;                         // launched, not yet handed to Slurm
  std::deque<std::pair<uint64_t, uint64_t>> to_delete_;  // lease, Slurm job to cancel
  std::set<uint64_t> deleting_;                          // leases in to_delete_
  uint64_t submitting_ = 0;                              // the lease being submitted now (0: none)
  bool cancel_submitting_ = false;                       // cancel() came for it meanwhile
  std::atomic<bool> closing_{false};                     // cancel_all(): no more submissions
  std::condition_variable requests_cv_;
  std::atomic<bool> reachable_{true};
  bool stopping_ = false;
  std::thread poller_, requester_;
};

}  // namespace og
