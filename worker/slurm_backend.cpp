#include "worker/slurm_backend.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "core/process.hpp"
#include "worker/job_dir.hpp"
#include "worker/job_environment.hpp"

namespace og {
namespace {

constexpr const char* kApi = "/slurm/v0.0.38";

std::string read_token(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read the Slurm token file " + file);
  std::string token;
  std::getline(in, token);
  if (token.rfind("SLURM_JWT=", 0) == 0) token = token.substr(10);  // as `scontrol token` prints it
  if (token.empty()) throw std::runtime_error("the Slurm token file " + file + " is empty");
  return token;
}

// The expiry ("exp", unix seconds) in a JWT's payload, 0 when it has none or is not one.
int64_t jwt_expiry(const std::string& token) {
  auto first = token.find('.'), second = token.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos) return 0;
  std::string payload;
  uint32_t bits = 0;
  int count = 0;
  for (char c : token.substr(first + 1, second - first - 1)) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
          : c == '-' ? 62 : c == '_' ? 63 : -1;
    if (v < 0) return 0;
    bits = bits << 6 | uint32_t(v);
    if ((count += 6) >= 8) payload.push_back(char(bits >> (count -= 8) & 0xff));
  }
  auto claims = nlohmann::json::parse(payload, nullptr, false);
  return claims.is_object() && claims.contains("exp") && claims["exp"].is_number() ? claims["exp"].get<int64_t>() : 0;
}

// A shell word that stays one word whatever it holds.
std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// slurmrestd answered, with an error about this request (as opposed to not answering).
class SlurmRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// slurmrestd reports problems in an "errors" array, often with HTTP 200.
std::string errors_of(const nlohmann::json& answer) {
  std::string out;
  if (answer.is_object() && answer.contains("errors") && answer["errors"].is_array())
    for (const auto& e : answer["errors"]) {
      std::string text = e.is_object() ? e.value("error", e.value("description", e.dump())) : e.dump();
      out += (out.empty() ? "" : "; ") + text;
    }
  return out;
}

}  // namespace

std::optional<Outcome> slurm_outcome(const std::string& state) {
  if (state == "COMPLETED") return Outcome::Completed;
  if (state == "FAILED") return Outcome::Failed;
  if (state == "TIMEOUT" || state == "DEADLINE") return Outcome::Timeout;
  if (state == "OUT_OF_MEMORY") return Outcome::OutOfMemory;
  if (state == "CANCELLED" || state == "NODE_FAIL" || state == "BOOT_FAIL" || state == "PREEMPTED")
    return Outcome::HandedBack;
  return std::nullopt;  // PENDING, RUNNING, SUSPENDED, COMPLETING, ...
}

SlurmBackend::SlurmBackend(SlurmBackendOptions options) : options_(std::move(options)), http_(options_.rest_url, "") {
  http_.set_server_name("slurmrestd");
  token_ = read_token(options_.token_file);
  std::filesystem::create_directories(options_.jobs_dir);
  poller_ = std::thread([this] { poll_loop(); });
  requester_ = std::thread([this] { request_loop(); });
}

SlurmBackend::~SlurmBackend() { shutdown(); }

void SlurmBackend::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
  cancel_all();  // no Slurm job outlives the worker that holds its lease
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  requests_cv_.notify_all();
  cv_.notify_all();
  requester_.join();
  poller_.join();
}

void SlurmBackend::renew_token(const std::string& why) {
  log_info("slurm_token_renewal", {{"why", why}});
  if (std::system(options_.token_command.c_str()) != 0)
    throw std::runtime_error("the Slurm token command failed: " + options_.token_command);
  token_ = read_token(options_.token_file);
}

nlohmann::json SlurmBackend::call(const std::string& method, const std::string& path, const nlohmann::json& body) {
  std::lock_guard lock(http_mu_);
  const bool renewable = !options_.token_command.empty();
  // A token about to expire is renewed before it is refused.
  int64_t expiry = jwt_expiry(token_);
  if (renewable && expiry > 0 && expiry - std::time(nullptr) < 300) {
    try {
      renew_token("expires soon");
    } catch (const std::exception& e) {
      log_warn("slurm_token_renewal_failed", {{"error", e.what()}});  // still valid for now
    }
  }
  for (int attempt = 0;; ++attempt) {
    http_.set_headers({{"X-SLURM-USER-NAME", options_.user}, {"X-SLURM-USER-TOKEN", token_}});
    HttpResult r = http_.request(method, kApi + path, body.is_null() ? "" : body.dump(), 30000);
    nlohmann::json answer = nlohmann::json::parse(r.body, nullptr, false);
    std::string errors = answer.is_discarded() ? r.body.substr(0, 300) : errors_of(answer);
    // A refused token: 401/403, or, from slurmrestd 22.05 (which passes the token on to
    // slurmctld), a 500 "Unspecified error". Renew it once and try again.
    bool refused_token = r.status == 401 || r.status == 403 || (r.status == 500 && errors == "Unspecified error");
    if (refused_token && attempt == 0 && renewable) {
      renew_token("HTTP " + std::to_string(r.status));
      continue;
    }
    if (r.status < 200 || r.status >= 300 || !errors.empty())
      throw SlurmRefused("slurmrestd " + method + " " + path + ": HTTP " + std::to_string(r.status) +
                         (errors.empty() ? "" : ": " + errors));
    return answer;
  }
}

SlurmCluster SlurmBackend::discover() {
  nlohmann::json nodes = call("GET", "/nodes", nullptr);
  if (!options_.slurm_partition.empty()) {
    nlohmann::json parts = call("GET", "/partition/" + url_encode(options_.slurm_partition), nullptr);
    if (!parts.contains("partitions") || parts["partitions"].empty())
      throw std::runtime_error("the Slurm partition " + options_.slurm_partition + " does not exist");
  }
  SlurmCluster cluster;
  for (const auto& node : nodes.value("nodes", nlohmann::json::array())) {
    if (!options_.slurm_partition.empty()) {
      bool in = false;
      for (const auto& p : node.value("partitions", nlohmann::json::array())) in |= p == options_.slurm_partition;
      if (!in) continue;
    }
    ++cluster.nodes;
    cluster.cpus += node.value("cpus", 0u);
    cluster.memory_mb += node.value("real_memory", uint64_t{0});
  }
  if (cluster.nodes == 0) throw std::runtime_error("slurmrestd lists no nodes" +
                                                   (options_.slurm_partition.empty() ? std::string()
                                                                                     : " in " + options_.slurm_partition));
  return cluster;
}

nlohmann::json SlurmBackend::submission(const LeaseTask& task, const std::string& cwd, const std::string& script,
                                        const std::string& out, const std::string& err, const std::string& job_dir) {
  nlohmann::json env = nlohmann::json::object();
  for (const auto& entry : job_environment(task, {options_.partition, job_dir, cwd, {}, {options_.user, {}}})) {
    auto eq = entry.find('=');
    // Slurm sets the SLURM_* variables itself, for the allocation it made; ours (which
    // mimic them for the local backend) would override its (e.g. SLURM_NTASKS for srun).
    if (eq == std::string::npos || entry.rfind("SLURM_", 0) == 0) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  // On a cluster Open MPI should launch its ranks through Slurm, across the job's nodes.
  env.erase("OMPI_MCA_plm");
  env.erase("OMPI_MCA_ras");
  std::string wrapper = "#!/bin/bash\nexec " + quoted(script);
  for (const auto& arg : task.spec.script_args) wrapper += " " + quoted(arg);
  nlohmann::json job = {
      {"name", task.spec.name.empty() ? "og-" + std::to_string(task.job_id) : task.spec.name},
      {"current_working_directory", cwd},
      {"environment", env},
      {"standard_output", out},
      {"standard_error", err},
      {"tasks", std::max<uint32_t>(1, task.spec.ntasks)},  // sized as sbatch sizes it (jobscripts/job_size)
      {"cpus_per_task", std::max<uint32_t>(1, task.spec.cpus_per_task)},
  };
  if (task.spec.nodes > 1 || task.spec.nodes_max > 1)
    job["nodes"] = {task.spec.nodes, std::max(task.spec.nodes, task.spec.nodes_max)};
  if (task.spec.ntasks_per_node > 0) job["tasks_per_node"] = task.spec.ntasks_per_node;
  if (task.spec.time_limit_s > 0) job["time_limit"] = (task.spec.time_limit_s + 59) / 60;  // minutes
  if (task.spec.mem_mb > 0) job["memory_per_node"] = task.spec.mem_mb;
  if (task.spec.mem_per_cpu_mb > 0) job["memory_per_cpu"] = task.spec.mem_per_cpu_mb;
  if (!options_.slurm_partition.empty()) job["partition"] = options_.slurm_partition;
  // OpenGrid decides where a failed run goes next; Slurm must not requeue it as well.
  job["requeue"] = false;
  return {{"script", wrapper}, {"job", job}};
}

void SlurmBackend::launch(const LeaseTask& task, DoneCallback done) {
  // The work directory is made here, on the caller's thread: leases with bundles arrive
  // on threads of their own; for the others (a directory and a script) it is the poll
  // thread, which is quick on a healthy shared file system. Only the requests to
  // slurmrestd wait in line.
  std::optional<PreparedJob> prepared;
  try {
    prepared = prepare_or_refuse(task, options_.jobs_dir, options_.partition, options_.bundle_limits, done);
    if (!prepared) return;
    if (::geteuid() == 0 && options_.user != "root") give_to_user(prepared->job_dir);
  } catch (const std::exception& e) {
    // The work directory could not be made: as the local backend, the job fails.
    log_error("job_start_failed", {{"lease", std::to_string(task.lease_id)}, {"error", e.what()}});
    report_later(done, RunResult{task.lease_id, Outcome::Failed, 127, prepared ? prepared->job_dir : "", {}});
    return;
  }
  LeaseTask queued = task;  // unpacked already: the archive and secrets need not wait in memory
  queued.bundle.clear();
  queued.secrets.clear();
  {
    std::lock_guard lock(mu_);
    to_submit_.push_back({std::move(queued), std::move(*prepared), std::move(done)});
  }
  requests_cv_.notify_all();
}

void SlurmBackend::request_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    requests_cv_.wait(lock, [this] { return stopping_ || !to_delete_.empty() || !to_submit_.empty(); });
    if (!to_delete_.empty()) {  // cancels first: they free the cluster
      auto [lease, slurm_id] = to_delete_.front();
      to_delete_.pop_front();
      lock.unlock();
      delete_slurm_job(lease, slurm_id);
      lock.lock();
      deleting_.erase(lease);  // a cancel repeated from now on tries again
      continue;
    }
    if (to_submit_.empty()) return;  // stopping, nothing left
    Queued next = std::move(to_submit_.front());
    to_submit_.pop_front();
    uint64_t lease = next.task.lease_id;
    // Cancelled before Slurm had it, the worker stopping, or slurmrestd gone (og-schedd
    // requeues what the worker hands back): nothing ran, nothing to stop.
    if (next.cancelled || closing_ || !reachable_) {
      lock.unlock();
      RunResult stopped{lease, Outcome::Cancelled, 0, next.prepared.job_dir, {}};
      if (!next.cancelled) {
        stopped.outcome = Outcome::HandedBack;
        stopped.handback_reason = closing_ ? "its worker stopped" : "slurmrestd did not answer";
      }
      next.done(stopped);
      lock.lock();
      continue;
    }
    submitting_ = lease;
    cancel_submitting_ = false;
    lock.unlock();
    submit(next);
    lock.lock();
    submitting_ = 0;
    requests_cv_.notify_all();  // cancel_all() may be waiting for this submission
    // Cancelled meanwhile, or the worker stopping (cancel_all() may have stopped waiting
    // for this submission): its Slurm job must not outlive the lease.
    if (auto it = running_.find(lease); (cancel_submitting_ || closing_) && it != running_.end())
      queue_delete(lease, it->second.slurm_id);
  }
}

void SlurmBackend::submit(Queued& job) {
  const LeaseTask& task = job.task;
  const PreparedJob& prepared = job.prepared;
  RunResult failed{task.lease_id, Outcome::Failed, 1, prepared.job_dir, {}};
  try {
    nlohmann::json answer = call("POST", "/job/submit",
                                 submission(task, prepared.cwd, prepared.script, prepared.out, prepared.err,
                                            prepared.job_dir));
    uint64_t slurm_id = answer.at("job_id").get<uint64_t>();
    {
      std::lock_guard lock(mu_);
      running_[task.lease_id] = Running{slurm_id, prepared.job_dir, prepared.unverified, std::move(job.done)};
    }
    cv_.notify_all();
    log_info("job_submitted_to_slurm", {{"lease", std::to_string(task.lease_id)},
                                        {"slurm_job", std::to_string(slurm_id)}});
    return;
  } catch (const SlurmRefused& e) {
    // Slurm will not run it as asked (a shape the cluster cannot hold, ...): the job fails.
    log_error("slurm_submit_refused", {{"lease", std::to_string(task.lease_id)}, {"error", e.what()}});
  } catch (const HttpUnreachable& e) {
    // No answer: hand the lease back to og-schedd, which runs it elsewhere, and take no
    // more until slurmrestd answers again (the poller checks).
    log_error("slurm_submit_failed", {{"lease", std::to_string(task.lease_id)}, {"error", e.what()}});
    reachable_ = false;
    failed.outcome = Outcome::HandedBack;
    failed.handback_reason = "slurmrestd did not answer";
    failed.exit_code = 0;
  } catch (const std::exception& e) {
    log_error("slurm_submit_failed", {{"lease", std::to_string(task.lease_id)}, {"error", e.what()}});
  }
  job.done(failed);
}

void SlurmBackend::give_to_user(const std::string& job_dir) {
  struct passwd* pw = ::getpwnam(options_.user.c_str());
  if (!pw) throw std::runtime_error("no account " + options_.user + " on this host (--slurm-user)");
  std::error_code ec;
  if (::lchown(job_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + job_dir);
  for (auto it = std::filesystem::recursive_directory_iterator(job_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (::lchown(it->path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("cannot chown " + it->path().string());
}

void SlurmBackend::cancel(uint64_t lease_id) {
  // Called on the worker's poll thread: nothing here waits for slurmrestd.
  std::lock_guard lock(mu_);
  auto queued = std::find_if(to_submit_.begin(), to_submit_.end(),
                             [&](const Queued& q) { return q.task.lease_id == lease_id; });
  // og-schedd repeats a cancel at each poll until the lease is gone: act on it once.
  if (queued != to_submit_.end()) {
    if (queued->cancelled) return;
    queued->cancelled = true;  // handed back when its turn comes, without Slurm
    log_info("lease_cancelled_before_submission", {{"lease", std::to_string(lease_id)}});
  } else if (submitting_ == lease_id) {
    cancel_submitting_ = true;  // cancelled as soon as Slurm has it
  } else if (auto it = running_.find(lease_id); it != running_.end()) {
    queue_delete(lease_id, it->second.slurm_id);
  }
}

void SlurmBackend::queue_delete(uint64_t lease_id, uint64_t slurm_id) {
  if (!deleting_.insert(lease_id).second) return;  // one DELETE in line per lease
  to_delete_.push_back({lease_id, slurm_id});
  requests_cv_.notify_all();
}

void SlurmBackend::delete_slurm_job(uint64_t lease_id, uint64_t slurm_id) {
  try {
    call("DELETE", "/job/" + std::to_string(slurm_id), nullptr);
  } catch (const std::exception& e) {
    log_warn("slurm_cancel_failed", {{"lease", std::to_string(lease_id)}, {"error", e.what()}});
  }
}

void SlurmBackend::cancel_all() {
  std::vector<std::pair<uint64_t, uint64_t>> jobs;  // lease, slurm id
  {
    std::unique_lock lock(mu_);
    closing_ = true;  // no submission starts from now on
    // One may be under way (its POST already sent): wait for it, to cancel its Slurm job
    // too, at most as long as slurmrestd may take to answer (a token renewal included).
    if (!requests_cv_.wait_for(lock, std::chrono::seconds(65), [this] { return submitting_ == 0; }))
      log_warn("slurm_submission_pending", {{"lease", std::to_string(submitting_)},
                                            {"note", "cancelled when slurmrestd answers, if the worker still runs"}});
    for (const auto& [lease, run] : running_) jobs.emplace_back(lease, run.slurm_id);
    to_delete_.clear();
    deleting_.clear();
  }
  requests_cv_.notify_all();  // what is queued is handed back
  for (const auto& [lease, slurm_id] : jobs) delete_slurm_job(lease, slurm_id);
}

std::string SlurmBackend::job_dir(uint64_t lease_id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(lease_id);
  return it == running_.end() ? "" : it->second.job_dir;
}

void SlurmBackend::poll_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms));
    if (stopping_) break;
    std::vector<std::pair<uint64_t, uint64_t>> jobs;  // lease, slurm id
    for (const auto& [lease, run] : running_) jobs.emplace_back(lease, run.slurm_id);
    lock.unlock();
    std::vector<std::pair<uint64_t, RunResult>> ended;
    try {
      // Whether slurmrestd answers decides availability; a job's own errors do not.
      call("GET", "/ping", nullptr);
      if (!reachable_) log_info("slurmrestd_reachable", {});
      reachable_ = true;
      for (const auto& [lease, slurm_id] : jobs) {
        // Each job still running (finished ones stay listed for MinJobAge).
        std::optional<Outcome> outcome;
        std::string state;
        int exit_code = 0;
        try {
          nlohmann::json answer = call("GET", "/job/" + std::to_string(slurm_id), nullptr);
          const auto& list = answer.at("jobs");
          if (list.empty()) throw SlurmRefused("not listed");
          const auto& job = list.at(0);
          state = job.value("job_state", "");
          outcome = slurm_outcome(state);
          // Slurm reports the batch script's raw wait status (exit 3 is 768).
          if (job.contains("exit_code") && job["exit_code"].is_number())
            exit_code = exit_code_from_wait_status(job["exit_code"].get<int>());
        } catch (const SlurmRefused& e) {
          // Slurm no longer knows it (purged after MinJobAge while we were away): its
          // result is lost with it, so the lease goes back to be run elsewhere.
          log_warn("slurm_job_unknown", {{"lease", std::to_string(lease)}, {"error", e.what()}});
          outcome = Outcome::HandedBack;
          state = "unknown to Slurm";
        }
        if (!outcome) continue;
        RunResult result{lease, *outcome, exit_code, "", {}};
        if (*outcome == Outcome::HandedBack) result.handback_reason = "Slurm ended its job: " + state;
        ended.push_back({lease, result});
      }
    } catch (const std::exception& e) {
      if (reachable_) log_warn("slurmrestd_unreachable", {{"error", e.what()}});
      reachable_ = false;
    }
    lock.lock();
    for (auto& [lease, result] : ended) {
      auto it = running_.find(lease);
      if (it == running_.end()) continue;
      result.job_dir = it->second.job_dir;
      result.unverified = it->second.unverified;
      DoneCallback done = std::move(it->second.done);
      running_.erase(it);
      lock.unlock();
      done(result);
      lock.lock();
    }
  }
}

}  // namespace og
