#include "worker/worker_agent.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "core/http_status.hpp"
#include "core/checkpoints.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/hex.hpp"
#include "core/http_client.hpp"
#include "core/job_signature.hpp"
#include "core/job_state.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "verify/manifest.hpp"
#include "worker/job_dir.hpp"
#include "worker/result_fetch.hpp"

namespace og {

namespace {
// A milestone is hashed on the reporter thread while its job runs: bounded.
constexpr uint64_t kMaxMilestoneBytes = 256ull << 20;
}  // namespace

namespace {

// Backoff for retries while og-schedd is unreachable: 50 ms doubling to 2 s.
void backoff(int attempt) {
  int ms = std::min(2000, 50 << std::min(attempt, 6));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

bool is_fatal(const ApiError& e) { return e.kind() == Refusal::Unauthenticated || e.kind() == Refusal::Forbidden; }

}  // namespace

WorkerAgent::WorkerAgent(WorkerOptions options, Backend& backend)
    : options_(std::move(options)),
      backend_(backend),
      streamer_(options_.url, options_.token, options_.ca_file, backend) {}

void WorkerAgent::register_partition() {
  HttpClient client(options_.url, options_.token, options_.ca_file);
  nlohmann::json body = {{"cpus", options_.resources.cpus},
                         {"memory_mb", options_.resources.memory_mb},
                         {"gpus", options_.resources.gpus},
                         {"gpu_type", options_.resources.gpu_type},
                         {"price_micros", options_.price_micros},
                         {"gpu_price_micros", options_.gpu_price_micros},
                         {"operator", options_.operator_name},
                         {"features", options_.features},
                         {"isolation", options_.isolation},
                         {"egress", options_.allow_egress}};
  if (options_.validator) body["validator"] = true;  // an og-schedd before validators reads the rest
  if (options_.images) body["registries"] = options_.images->registries();
  const Resources& r = options_.resources;
  body.update(gpu_offer_fields(r.gpu_devices, r.cuda_version, r.driver_version, options_.gpu_prices));
  if (options_.resources.nodes > 1) body["nodes"] = options_.resources.nodes;  // an og-schedd before nodes reads the rest
  for (int attempt = 0; !stopping_; ++attempt) {
    try {
      auto answer = client.call("PUT", "/og/v1/partitions/" + url_encode(options_.partition), body);
      instance_ = answer["partitions"][0].value("instance", uint64_t{0});
      log_info("registered", {{"partition", options_.partition},
                              {"cpus", std::to_string(options_.resources.cpus)},
                              {"memory_mb", std::to_string(options_.resources.memory_mb)},
                              {"gpus", std::to_string(options_.resources.gpus)}});
      if (options_.on_registered) options_.on_registered();
      return;
    } catch (const ApiError& e) {
      // No bond: waiting would not bring one (the message says how to fund it).
      if (is_fatal(e) || e.kind() == Refusal::Invalid || e.code() == "bond_required") throw;
      log_warn("register_failed", {{"error", e.what()}});
    } catch (const std::runtime_error& e) {
      if (attempt == 0) log_warn("schedd_unreachable", {{"error", e.what()}});
    }
    backoff(attempt);
  }
}

int WorkerAgent::run() {
  try {
    register_partition();
  } catch (const ApiError& e) {
    log_error("register_refused", {{"error", e.what()}});
    return 1;
  }
  std::thread reporter([this] { reporter_loop(); });
  struct JoinOnExit {
    WorkerAgent* agent;
    std::thread& t;
    ~JoinOnExit() {
      agent->stopping_ = true;
      {
        // Threads fetching bundles use this agent: they finish (or give up) first.
        std::unique_lock lock(agent->mu_);
        agent->reports_cv_.wait(lock, [this] { return agent->preparing_ == 0; });
      }
      agent->reports_cv_.notify_all();
      t.join();
    }
  } join_on_exit{this, reporter};
  HttpClient client(options_.url, options_.token, options_.ca_file);
  int64_t wait_ms = std::min<int64_t>(20000, options_.max_poll_wait_ms);
  int attempt = 0;
  bool was_available = true;
  while (!stopping_) {
    // A backend that cannot run anything (its cluster unreachable) takes no leases; the
    // heartbeats stop too, so og-schedd marks the partition DOWN and requeues its leases.
    if (!backend_.available()) {
      if (was_available) log_warn("backend_unavailable", {{"partition", options_.partition}});
      was_available = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    was_available = true;
    nlohmann::json body;
    {
      std::lock_guard lock(mu_);
      body = {{"running", running_}, {"wait_ms", wait_ms}, {"instance", instance_}};
    }
    if (options_.images) body["cached"] = options_.images->digests();
    nlohmann::json answer;
    try {
      answer = client.call("POST", "/og/v1/partitions/" + url_encode(options_.partition) + "/poll",
                           body, wait_ms + 15000);
      attempt = 0;
    } catch (const ApiError& e) {
      if (is_fatal(e) || e.code() == "superseded") {
        log_error("poll_refused", {{"error", e.what()}});
        return 1;
      }
      if (e.code() == "partition_not_found") {
        // og-schedd lost or never had our registration. Refused now (the bond gone, say):
        // keep the running jobs and try again, saying why.
        try {
          register_partition();
        } catch (const ApiError& refused) {
          log_error("register_refused", {{"error", refused.what()}});
          backoff(attempt++);
        }
        continue;
      }
      log_warn("poll_failed", {{"error", e.what()}});
      backoff(attempt++);
      continue;
    } catch (const std::exception& e) {
      if (attempt == 0) log_warn("schedd_unreachable", {{"error", e.what()}});
      backoff(attempt++);
      continue;
    }
    wait_ms = std::min<int64_t>(answer.value("max_wait_ms", wait_ms), options_.max_poll_wait_ms);
    for (const auto& l : answer.value("leases", nlohmann::json::array())) {
      LeaseTask task;
      try {
        task = lease_from_json(l);
      } catch (const ApiError& e) {
        log_error("bad_lease", {{"error", e.what()}});
        continue;
      }
      {
        std::lock_guard lock(mu_);
        if (!running_.insert(task.lease_id).second) continue;  // already running it
      }
      if (task.spec.bundle_sha256.empty() && task.spec.secrets.empty() && task.resume_sha256.empty() &&
          task.spec.image.empty() && task.spec.data.empty() && !task.validation) {
        start(client, task, nullptr);  // nothing to fetch: only the signature to check
        continue;
      }
      // Fetching a bundle may take a while: not on this thread, whose polls are our
      // heartbeat and bring cancels.
      {
        std::lock_guard lock(mu_);
        ++preparing_;
      }
      std::thread([this, task]() mutable {
        HttpClient fetcher(options_.url, options_.token, options_.ca_file);
        auto ended = std::make_shared<std::promise<void>>();
        bool launched = false;
        try {
          launched = start(fetcher, task, [ended] { ended->set_value(); });
        } catch (const std::exception& e) {  // never the whole worker for one lease
          RunResult back{task.lease_id, Outcome::HandedBack, 0, "", {}};
          back.handback_reason = std::string("the worker could not prepare it: ") + e.what();
          back.handback_reason.resize(std::min<size_t>(back.handback_reason.size(), 200));
          on_done(back);
        }
        {
          std::lock_guard lock(mu_);
          --preparing_;
          reports_cv_.notify_all();
        }
        // The job dies with the thread that started it (PR_SET_PDEATHSIG is per thread):
        // this one stays until the job has ended.
        if (launched) ended->get_future().wait();
      }).detach();
    }
    for (const auto& id : answer.value("cancel", nlohmann::json::array())) {
      uint64_t lease = id.get<uint64_t>();
      backend_.cancel(lease);
      // A lease we do not run (e.g. written off while we were away): forget it.
    }
  }
  return 0;
}

bool WorkerAgent::start(HttpClient& client, LeaseTask& task, std::function<void()> ended) {
  if (auto not_run = prepare(client, task)) {
    on_done(*not_run);
    return false;
  }
  streamer_.follow(task.lease_id, stdio_files_of(task, options_.partition));
  backend_.launch(task, [this, ended](const RunResult& r) {
    on_done(r);
    if (ended) ended();
  });
  return true;
}

std::optional<RunResult> WorkerAgent::prepare(HttpClient& client, LeaseTask& task) {
  std::string lease = std::to_string(task.lease_id);
  auto refuse = [&](std::string_view reason, const std::string& why) {
    log_warn("job_refused", {{"lease", lease}, {"job", std::to_string(task.job_id)}, {"reason", std::string(reason)},
                             {"why", why}});
    return std::optional<RunResult>(RunResult{task.lease_id, Outcome::Failed, 126, "", {}, std::string(reason)});
  };
  // Nothing of a job runs before its requester's signature is checked: the signature
  // covers the script, its arguments and environment, and the bundle's digest.
  if (!task.spec.signature.empty() || !options_.allow_unsigned) {
    if (auto problem = job_signature_problem(task.user, task.spec); !problem.empty())
      return refuse(reason::kBadSignature, problem);
  }
  // What only this lease's holder may fetch; a few tries ride out a restarting og-schedd.
  auto fetch = [&](const std::string& what) -> std::optional<HttpResult> {
    for (int attempt = 0; attempt < 5 && !stopping_; ++attempt) {
      try {
        auto r = client.request("GET", "/og/v1/leases/" + lease + "/" + what, "", 600000);
        // A refusal is final; being asked to slow down (429) or a timeout (408) is not.
        if (r.status == 200 || (r.status >= 400 && r.status < 500 && r.status != 429 && r.status != 408)) return r;
      } catch (const std::exception&) {
      }
      backoff(attempt);
    }
    return std::nullopt;
  };
  if (!task.spec.bundle_sha256.empty()) {
    auto r = fetch("bundle");
    if (!r || r->status != 200)
      return refuse(reason::kBadBundle, "could not fetch the bundle" + (r ? ": " + r->body : std::string()));
    if (sha256_hex(r->body) != task.spec.bundle_sha256)
      return refuse(reason::kBadBundle, "the bundle does not hash to the signed digest");
    task.bundle = std::move(r->body);
  }
  if (!task.resume_sha256.empty()) {
    // Not having it is no reason to refuse: the job then starts from the beginning.
    auto r = fetch("checkpoint");
    if (r && r->status == 200 && sha256_hex(r->body) == task.resume_sha256)
      task.resume_checkpoint = std::move(r->body);
    else
      log_warn("checkpoint_unavailable", {{"lease", lease}, {"milestone", std::to_string(task.resume_milestone)}});
  }
  if (!task.spec.secrets.empty() && !task.validation) {  // a validator scores outputs without them
    auto r = fetch("secrets");
    if (!r || r->status != 200)
      return refuse(reason::kBadBundle, "could not fetch the job's secrets" + (r ? ": " + r->body : std::string()));
    try {
      const auto answer = nlohmann::json::parse(r->body);  // must outlive the loop over it
      const auto& sent = answer.at("secrets");
      // Only the names the requester signed, each a plain file name: og-schedd is not
      // trusted to name files we write as root.
      for (const auto& name : task.spec.secrets) {
        if (!is_secret_name(name) || !sent.contains(name)) return refuse(reason::kBadBundle, "secret " + name + " is missing or misnamed");
        task.secrets[name] = from_hex(sent.at(name).get<std::string>()).value_or("");
      }
    } catch (const std::exception&) {
      return refuse(reason::kBadBundle, "malformed secrets");
    }
  }
  if (!task.spec.image.empty() || !task.spec.data.empty() || task.validation) return pull_image_and_data(client, task);
  return std::nullopt;
}

std::optional<RunResult> WorkerAgent::pull_image_and_data(HttpClient& client, LeaseTask& task) {
  std::string lease = std::to_string(task.lease_id);
  auto hand_back = [&](const std::string& why) {
    log_warn("job_handed_back", {{"lease", lease}, {"job", std::to_string(task.job_id)}, {"why", why}});
    RunResult r{task.lease_id, Outcome::HandedBack, 0, "", {}};
    r.handback_reason = why.substr(0, 200);
    return std::optional<RunResult>(r);
  };
  const bool from_registry = !task.spec.image.empty() ||
      std::any_of(task.spec.data.begin(), task.spec.data.end(), [](const auto& d) { return !result_job_of(d.second); });
  if (from_registry && !options_.images) return hand_back("this worker pulls no images or data (og-worker --allow-registry)");
  if (options_.isolation != "jail") return hand_back("data sets are mounted by the jail only (og-worker --isolation jail)");
  Pulled pulled;
  try {
    if (!task.spec.image.empty()) {
      CachedContent image = options_.images->image(task.spec.image);
      task.image_root = image.path;
      task.image_env = image.env;
      pulled.holds.push_back(image.hold);
      pulled.ms += image.pull_ms;
    }
    for (const auto& [name, ref] : task.spec.data) {
      if (result_job_of(ref)) {
        // An earlier job's result: fetched for this lease alone, removed when it ends.
        if (options_.results_dir.empty()) return hand_back("this worker has no directory for earlier jobs' results");
        std::string dir = options_.results_dir + "/" + lease + "-" + name;
        std::filesystem::remove_all(dir);
        // Removed with the lease, or at once if the fetch fails part way.
        pulled.holds.push_back(std::shared_ptr<void>(nullptr, [dir](void*) {
          std::error_code ec;
          std::filesystem::remove_all(dir, ec);
        }));
        auto started = std::chrono::steady_clock::now();
        fetch_job_result(client, task.lease_id, name, dir, options_.max_output_bytes);
        task.data_mounts.emplace_back(dir, "/data/" + name);
        pulled.ms += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - started).count());
        continue;
      }
      CachedContent data = options_.images->data(ref);
      task.data_mounts.emplace_back(data.path, "/data/" + name);
      pulled.holds.push_back(data.hold);
      pulled.ms += data.pull_ms;
    }
    if (task.validation) {
      if (options_.results_dir.empty()) return hand_back("this worker has no directory for the replicas it scores");
      std::string dir = options_.results_dir + "/" + lease + "-replicas";
      std::filesystem::remove_all(dir);
      pulled.holds.push_back(std::shared_ptr<void>(nullptr, [dir](void*) {
        std::error_code ec;
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);  // 0555 until now
        std::filesystem::remove_all(dir, ec);
      }));
      fetch_replicas(client, task, dir);
      task.data_mounts.emplace_back(dir, kReplicasMount);
    }
  } catch (const ImageStoreError& e) {
    if (e.kind() != ImageStoreError::Kind::BadImage) return hand_back(e.what());
    log_warn("job_refused", {{"lease", lease}, {"job", std::to_string(task.job_id)},
                             {"reason", std::string(reason::kBadImage)}, {"why", e.what()}});
    return RunResult{task.lease_id, Outcome::Failed, 126, "", {}, std::string(reason::kBadImage)};
  } catch (const std::exception& e) {
    return hand_back(std::string("the worker could not prepare its image or data: ") + e.what());
  }
  std::lock_guard lock(mu_);
  pulled_[task.lease_id] = std::move(pulled);
  return std::nullopt;
}

void WorkerAgent::fetch_replicas(HttpClient& client, const LeaseTask& task, const std::string& dir) {
  std::filesystem::create_directory(dir);
  for (const auto& [replica, root] : task.validation->replicas) {
    // Checked file by file against the manifest, and the manifest against the root the
    // replica reported: what is scored is what was reported. Each replica may bring as
    // much as a replica may report here.
    Manifest fetched = fetch_job_result(client, task.lease_id, "replica:" + std::to_string(replica),
                                        dir + "/" + std::to_string(replica), options_.max_output_bytes);
    if (merkle_root(fetched.files) != root)
      throw ImageStoreError(ImageStoreError::Kind::BadImage,
                            "the outputs of lease " + std::to_string(replica) + " do not hash to the root it reported");
  }
  ::chmod(dir.c_str(), 0555);
  std::lock_guard lock(mu_);
  validations_[task.lease_id] = *task.validation;
}

void WorkerAgent::on_done(const RunResult& result) {
  streamer_.forget(result.lease_id);
  Pulled released;  // let go after the lock: the cache may evict (and delete) what it held
  std::lock_guard lock(mu_);
  reports_.push_back(result);
  if (auto it = pulled_.find(result.lease_id); it != pulled_.end()) {
    reports_.back().pull_ms = it->second.ms;
    released = std::move(it->second);
    pulled_.erase(it);
  }
  reports_cv_.notify_one();
}

void WorkerAgent::reporter_loop() {
  HttpClient client(options_.url, options_.token, options_.ca_file);
  std::unique_lock lock(mu_);
  for (;;) {
    // Between results, look for milestones about once a second.
    if (!reports_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !reports_.empty(); })) {
      lock.unlock();
      report_milestones(client);
      lock.lock();
      continue;
    }
    if (reports_.empty()) return;  // stopping, nothing left
    RunResult result = reports_.front();
    reports_.pop_front();
    lock.unlock();
    // Checkpoints written since the last look count too: a quick job's, or the last one,
    // from which a replica added for want of a quorum then resumes.
    if (!result.job_dir.empty()) report_milestones_of(client, result.lease_id, result.job_dir);
    report(client, result);
    if (!options_.keep_job_dirs && !result.job_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(result.job_dir, ec);
    }
    lock.lock();
    // Only now may the next poll leave the lease out: og-schedd has its result.
    running_.erase(result.lease_id);
    milestones_sent_.erase(result.lease_id);
  }
}

void WorkerAgent::report_milestones(HttpClient& client) {
  std::vector<uint64_t> leases;
  {
    std::lock_guard lock(mu_);
    leases.assign(running_.begin(), running_.end());
  }
  for (uint64_t lease : leases)
    if (std::string dir = backend_.job_dir(lease); !dir.empty()) report_milestones_of(client, lease, dir);
}

void WorkerAgent::report_milestones_of(HttpClient& client, uint64_t lease, const std::string& dir) {
  // The job owns .og and everything in it, and we are root: walk down with
  // O_NOFOLLOW at each step, so a link it planted leads nowhere.
  int job_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int og_fd = job_fd < 0 ? -1 : ::openat(job_fd, ".og", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int dir_fd = og_fd < 0 ? -1 : ::openat(og_fd, "milestones", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  for (int fd : {job_fd, og_fd})
    if (fd >= 0) ::close(fd);
  if (dir_fd < 0) return;
  // Files named 1, 2, ...: a job writes one elsewhere and renames it in, so what is seen
  // is whole. Their digest is what replicas must agree on.
  std::map<uint32_t, std::string> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd/" + std::to_string(dir_fd), ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    uint32_t index = static_cast<uint32_t>(std::stoul(name));
    if (index > 0 && index > milestones_sent_[lease]) found[index] = name;
  }
  for (const auto& [index, name] : found) {
    std::string digest;
    try {
      digest = sha256_untrusted_file_hex(dir_fd, name, kMaxMilestoneBytes);
    } catch (const std::runtime_error& e) {
      // Not a milestone (a link, a FIFO, too large): passed over for good.
      log_warn("milestone_ignored", {{"lease", std::to_string(lease)}, {"error", e.what()}});
      milestones_sent_[lease] = index;
      continue;
    }
    try {
      auto answer = client.call("POST", "/og/v1/leases/" + std::to_string(lease) + "/milestone",
                                {{"index", index}, {"digest", digest}});
      milestones_sent_[lease] = index;
      if (answer.value("checkpoint_wanted", false)) keep_checkpoint(client, lease, dir_fd, name, digest);
    } catch (const std::exception& e) {
      log_warn("milestone_not_reported", {{"lease", std::to_string(lease)}, {"milestone", std::to_string(index)},
                                          {"error", e.what()}});
      break;  // tried again in a second
    }
  }
  ::close(dir_fd);
}

void WorkerAgent::keep_checkpoint(HttpClient& client, uint64_t lease, int dir_fd, const std::string& name,
                                  const std::string& digest) {
  try {
    std::string content = read_untrusted_file(dir_fd, name, kMaxCheckpointBytes);
    if (sha256_hex(content) != digest) return;  // changed since hashed: not this milestone
    auto r = client.request("PUT", "/og/v1/artifacts/" + digest + "?purpose=checkpoint&lease=" + std::to_string(lease),
                            content, 600000, "application/octet-stream");
    if (r.status != 201) throw std::runtime_error("og-schedd answered " + std::to_string(r.status) + ": " + r.body);
  } catch (const std::exception& e) {
    // Larger than kept, or not stored: a replacement replica would start from the beginning.
    log_warn("checkpoint_not_kept", {{"lease", std::to_string(lease)}, {"milestone", name}, {"error", e.what()}});
  }
}

namespace {

// A run og-schedd asked to stop (not one its provider gives back), whose files are kept.
bool stopped_as_asked(const RunResult& result) {
  return result.outcome == Outcome::Cancelled && result.handback_reason.empty() && !result.job_dir.empty();
}

}  // namespace

std::optional<nlohmann::json> WorkerAgent::scores_of(const RunResult& result, const LeaseTask::Validation& v) {
  if (result.outcome != Outcome::Completed || result.exit_code != 0 || result.job_dir.empty()) return std::nullopt;
  // Read without following links: the file is the scoring script's, which could plant one.
  int job_fd = ::open(result.job_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int og_fd = job_fd < 0 ? -1 : ::openat(job_fd, ".og", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (job_fd >= 0) ::close(job_fd);
  if (og_fd < 0) return std::nullopt;
  std::string text;
  try {
    text = read_untrusted_file(og_fd, kScoresFile, 1 << 20);
  } catch (const std::exception&) {
  }
  ::close(og_fd);
  // {"/replicas/LEASE": score, ...}: one score in [0, 1] for each replica, nothing else.
  nlohmann::json printed = nlohmann::json::parse(text, nullptr, false);
  if (!printed.is_object() || printed.size() != v.replicas.size()) return std::nullopt;
  nlohmann::json scores = nlohmann::json::object();
  for (const auto& [replica, root] : v.replicas) {
    std::string key = std::string(kReplicasMount) + "/" + std::to_string(replica);
    auto it = printed.find(key);
    if (it == printed.end() || !it->is_number() || !(it->get<double>() >= 0 && it->get<double>() <= 1)) return std::nullopt;
    scores[std::to_string(replica)] = {{"score", it->get<double>()}, {"root", root}};
  }
  return scores;
}

void WorkerAgent::report(HttpClient& client, const RunResult& result) {
  nlohmann::json body = {{"outcome", to_string(result.outcome)}, {"exit_code", result.exit_code}};
  std::optional<LeaseTask::Validation> validation;
  {
    std::lock_guard lock(mu_);
    if (auto it = validations_.find(result.lease_id); it != validations_.end()) {
      validation = std::move(it->second);
      validations_.erase(it);
    }
  }
  if (validation && has_outputs(result.outcome)) {
    // A validation task reports its scores, not outputs: those stay with the validator.
    if (auto scores = scores_of(result, *validation)) body["scores"] = std::move(*scores);
    else log_warn("no_scores", {{"lease", std::to_string(result.lease_id)}, {"why", "the scoring script printed no score in [0, 1] for each replica"}});
    body["manifest"] = to_json(Manifest{{}, merkle_root({})});
    send_report(client, result, std::move(body), Manifest{{}, merkle_root({})});
    return;
  }
  if (!result.handback_reason.empty()) body["handback_reason"] = result.handback_reason;
  if (result.pull_ms > 0) body["pull_ms"] = result.pull_ms;
  Manifest manifest{{}, merkle_root({})};
  if (!result.reason.empty()) {
    body["reason"] = result.reason;  // refused before anything ran: no outputs
    body["manifest"] = to_json(manifest);
  } else if (has_outputs(result.outcome) || stopped_as_asked(result)) {
    // A cancelled run's files too: it worked (and is paid) until stopped, and its owner may
    // want what it wrote (og-fetch --unverified). Not a handed-back one: it runs elsewhere.
    try {
      std::vector<std::string> excluded = {".og/"};
      excluded.insert(excluded.end(), result.unverified.begin(), result.unverified.end());
      manifest = compute_manifest(result.job_dir, excluded, options_.max_output_bytes);
    } catch (const ManifestTooLarge& e) {
      // Not read, not uploaded: the run cannot be verified, so it fails visibly.
      log_error("output_too_large", {{"lease", std::to_string(result.lease_id)}, {"error", e.what()}});
      manifest = Manifest{{}, merkle_root({})};
      if (!stopped_as_asked(result)) body = {{"outcome", "FAILED"}, {"exit_code", 1}};  // cancelled stays so
    } catch (const std::exception& e) {
      log_error("manifest_failed", {{"lease", std::to_string(result.lease_id)}, {"error", e.what()}});
    }
    body["manifest"] = to_json(manifest);
  }
  send_report(client, result, std::move(body), std::move(manifest));
}

void WorkerAgent::send_report(HttpClient& client, const RunResult& result, nlohmann::json body, Manifest manifest) {
  for (int attempt = 0;; ++attempt) {
    try {
      for (const auto& f : manifest.files) {
        if (f.size == 0) continue;  // the empty blob needs no upload
        if (::access((result.job_dir + "/" + f.path).c_str(), R_OK) != 0)
          throw ApiError(Refusal::Invalid, "output_gone", f.path + " vanished before its upload");
        // Read from disk as it goes out: an output of gigabytes never sits in memory here.
        auto r = client.send_file("PUT", "/og/v1/artifacts/" + f.sha256 + "?lease=" + std::to_string(result.lease_id),
                                  result.job_dir + "/" + f.path, 600000);
        if (r.status == 413) {
          // Too large for og-schedd: the run cannot be verified, so it fails, visibly,
          // instead of vanishing (which would look like a lost lease).
          log_error("output_too_large", {{"lease", std::to_string(result.lease_id)}, {"path", f.path},
                                         {"bytes", std::to_string(f.size)}});
          manifest = Manifest{{}, merkle_root({})};
          body = stopped_as_asked(result) ? nlohmann::json{{"outcome", "CANCELLED"}, {"exit_code", result.exit_code}}
                                          : nlohmann::json{{"outcome", "FAILED"}, {"exit_code", 1}};
          body["manifest"] = to_json(manifest);
          break;
        }
        if (r.status != 201)
          throw ApiError(refusal_of_status(static_cast<int>(r.status)), "upload_failed", "upload of " + f.path + ": " + r.body);
      }
      client.call("POST", "/og/v1/leases/" + std::to_string(result.lease_id) + "/complete", body);
      log_info("reported", {{"lease", std::to_string(result.lease_id)},
                            {"outcome", std::string(to_string(result.outcome))},
                            {"exit_code", std::to_string(result.exit_code)},
                            {"root", manifest.root}});
      return;
    } catch (const ApiError& e) {
      // og-schedd accepts only outputs this lease uploaded, and remembers that in memory:
      // after its restart the uploads are made again (the blobs are there: nothing is sent
      // twice but the bytes of the request).
      bool upload_again = e.code() == "artifact_missing" && attempt < 3;
      // The scheduler refused the report for good (lease reassigned, cancelled, …).
      if (!upload_again && is_final(e.kind())) {
        log_warn("report_refused", {{"lease", std::to_string(result.lease_id)}, {"error", e.what()}});
        return;
      }
      log_warn("report_failed", {{"lease", std::to_string(result.lease_id)}, {"error", e.what()}});
    } catch (const std::exception& e) {
      if (attempt == 0) log_warn("schedd_unreachable", {{"error", e.what()}});
    }
    if (stopping_) return;
    backoff(attempt);
  }
}

}  // namespace og
