// The worker's conversation with og-schedd: register the partition, long-poll for leases
// (the poll is also the heartbeat), hand leases to the backend, and report each result
// with its manifest after uploading the outputs. Reports are retried until og-schedd
// answers, so a scheduler restart loses nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http_client.hpp"
#include "verify/manifest.hpp"
#include "worker/backend.hpp"
#include "worker/image_store.hpp"
#include "worker/output_streamer.hpp"
#include "worker/resource_probe.hpp"

namespace og {

struct WorkerOptions {
  std::string url;
  std::string token;
  std::string ca_file;  // for an https:// url: the CA its certificate must chain to
  std::string partition;
  Resources resources;
  int64_t price_micros = 0;  // asking price per CPU-hour
  int64_t gpu_price_micros = 0;  // asking price per GPU-hour
  std::map<std::string, int64_t> gpu_prices;  // ... for these models instead
  std::string operator_name;     // who runs the machine (empty: nobody declared)
  std::vector<std::string> features;  // offered to -C/--constraint
  bool keep_job_dirs = false;
  std::string isolation = "none";  // the sandbox level jobs get here (advertised)
  bool allow_egress = false;       // jobs asking for --network=egress may reach out
  bool allow_unsigned = false;     // run jobs that carry no requester's signature
  uint64_t max_output_bytes = 1ull << 30;  // outputs past this fail the run, unread
  // The longest a poll waits for work. A backend that can become unavailable (a cluster)
  // polls briefly, so that its heartbeats stop soon after it does.
  int64_t max_poll_wait_ms = 20000;
  std::function<void()> on_registered = {};  // after each registration (og-worker join prints its summary)
  ImageStore* images = nullptr;  // images and data sets (--allow-registry); none: jobs naming them go back
  std::string results_dir;       // where earlier jobs' results read as data sets are fetched to
  bool validator = false;        // offers to score other providers' results (--verify=score), runs no jobs
};

class WorkerAgent {
 public:
  WorkerAgent(WorkerOptions options, Backend& backend);
  // Runs until stop() or a fatal error (bad credential). Returns the exit status.
  int run();
  void stop() { stopping_ = true; }

 private:
  void register_partition();
  // Checks the lease's signature and fetches its bundle, secrets, image and data; nothing
  // when it may run, else what to report: refused (BadSignature, BadBundle, BadImage) or
  // handed back (its registry unreachable).
  std::optional<RunResult> prepare(HttpClient& client, LeaseTask& task);
  std::optional<RunResult> pull_image_and_data(HttpClient& client, LeaseTask& task);
  // prepare(), then the backend runs it (true; `ended` is called when it has) or the
  // refusal is reported (false).
  bool start(HttpClient& client, LeaseTask& task, std::function<void()> ended);
  void on_done(const RunResult& result);
  // One thread reports every result in turn over one kept-alive connection.
  void reporter_loop();
  void report(HttpClient& client, const RunResult& result);
  // Uploads the manifest's files and reports, retrying what may work later.
  void send_report(HttpClient& client, const RunResult& result, nlohmann::json body, Manifest manifest);
  // A validation task: the replicas' outputs fetched into dir/LEASE and checked.
  void fetch_replicas(HttpClient& client, const LeaseTask& task, const std::string& dir);
  // What its scoring script printed, as og-schedd takes it; nullopt when it printed no
  // score in [0, 1] for each replica (or failed).
  static std::optional<nlohmann::json> scores_of(const RunResult& result, const LeaseTask::Validation& v);
  // Tells og-schedd of milestones running jobs have left in $OG_MILESTONES since last time.
  void report_milestones(HttpClient& client);
  // Reports the milestones the lease's job (in dir) wrote since the last look.
  void report_milestones_of(HttpClient& client, uint64_t lease, const std::string& dir);
  // Uploads a milestone's content (at most kMaxCheckpointBytes) when og-schedd asks for it:
  // the job's verified checkpoint, from which a replica replacing a lost one resumes.
  void keep_checkpoint(HttpClient& client, uint64_t lease, int dir_fd, const std::string& name,
                       const std::string& digest);

  WorkerOptions options_;
  Backend& backend_;
  std::atomic<bool> stopping_{false};
  uint64_t instance_ = 0;  // from our registration; sent with every poll
  std::mutex mu_;
  std::condition_variable reports_cv_;
  std::set<uint64_t> running_;  // leases the backend holds, sent with every poll
  std::deque<RunResult> reports_;  // finished runs waiting to be reported
  std::map<uint64_t, uint32_t> milestones_sent_;  // per lease, the highest reported (reporter thread)
  int preparing_ = 0;  // leases whose bundle or secrets are being fetched (threads)
  OutputStreamer streamer_;  // running jobs' output, live, to og-schedd
  // Per running lease: the cache entries it holds (kept from eviction) and how long
  // fetching them took.
  struct Pulled {
    std::vector<std::shared_ptr<void>> holds;
    uint64_t ms = 0;
  };
  std::map<uint64_t, Pulled> pulled_;
  std::map<uint64_t, LeaseTask::Validation> validations_;  // running validation tasks
};

}  // namespace og
