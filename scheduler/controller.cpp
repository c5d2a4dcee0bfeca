#include "scheduler/controller.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "chain/embedded_ledger.hpp"
#include "core/error.hpp"
#include "core/money.hpp"
#include "core/log.hpp"
#include "core/job_signature.hpp"
#include "core/sha256.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "core/verify_mode.hpp"
#include "jobscripts/array_spec.hpp"
#include "scheduler/dependency_policy.hpp"
#include "scheduler/placement.hpp"
#include "scheduler/start_planner.hpp"
#include "verify/manifest.hpp"
#include "verify/quorum.hpp"

namespace og {
namespace {

ApiError not_found(uint64_t id) {
  return ApiError(404, "job_not_found", "job " + std::to_string(id) + " does not exist");
}

JobState state_from_outcome(const std::string& outcome, int exit_code) {
  if (outcome == "COMPLETED") return exit_code == 0 ? JobState::Completed : JobState::Failed;
  if (outcome == "TIMEOUT") return JobState::Timeout;
  if (outcome == "OUT_OF_MEMORY") return JobState::OutOfMemory;
  return JobState::Failed;
}

}  // namespace

Controller::Controller(ControllerOptions options)
    : options_(std::move(options)),
      store_(options_.database_path, options_.synchronous_full),
      reader_(options_.database_path, options_.synchronous_full),
      fairshare_(options_.priority.usage_half_life_s),
      priority_(std::make_unique<MultifactorPriority>(options_.priority, fairshare_)),
      scheduler_(make_scheduler(options_.scheduler)) {
  if (options_.evm_ledger && !options_.ledger_path.empty()) {
    auto evm = std::make_unique<EvmLedger>(options_.ledger_path, *options_.evm_ledger, options_.synchronous_full);
    evm_ = evm.get();
    ledger_ = std::move(evm);
  } else if (!options_.ledger_path.empty()) {
    ledger_ = std::make_unique<EmbeddedLedger>(options_.ledger_path, options_.synchronous_full);
  }
  load_state();
}

Controller::~Controller() { stop(); }

void Controller::start() {
  sched_thread_ = std::thread([this] { scheduling_loop(); });
  if (evm_) evm_->start();
}

void Controller::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [name, cv] : poll_cv_) cv.notify_all();
    job_finished_cv_.notify_all();
  }
  sched_cv_.notify_all();
  if (sched_thread_.joinable()) sched_thread_.join();
  if (comparer_) comparer_->stop();  // outside the lock: an answer being posted takes it
  if (evm_) evm_->stop();  // what is not on chain yet stays in the outbox for the next start
}

// ---- state recovery -------------------------------------------------------------------

void Controller::load_state() {
  int64_t now_us = now_unix_us();
  auto snap = store_.load_snapshot(now_us - options_.min_job_age_us);
  int64_t now_mono = monotonic_us();
  audit_of_ = store_.load_audits();
  for (auto& p : snap.partitions) {
    // Workers get a full heartbeat period to come back after a restart; until one polls,
    // its partition takes no new work (its worker may be gone for good).
    p.last_seen_us = now_mono;
    p.state = PartitionState::Unknown;
    poll_cv_[p.name];
    partitions_[p.name] = p;
  }
  for (auto& j : snap.jobs) {
    if (!j.spec.dependency.empty()) {
      try {
        j.dependency = jobscripts::parse_dependency(j.spec.dependency);
      } catch (const std::exception&) {
      }
    }
    if (!j.spec.array.empty()) {
      try {
        j.array_max_running = jobscripts::parse_array_spec(j.spec.array).max_running;
      } catch (const std::exception&) {
      }
    }
    fairshare_.add_account(charge_account(j));
    jobs_[j.id] = std::move(j);
  }
  // Fair-share usage from the jobs that ended in the last few half-lives.
  int64_t horizon = now_us - 4 * options_.priority.usage_half_life_s * 1'000'000;
  for (const auto& done : store_.load_finished_jobs(horizon, 1'000'000))
    if (done.start_us > 0)
      fairshare_.add_usage(charge_account(done),
                           done.spec.total_cpus() * static_cast<double>(done.end_us - done.start_us) / 1e6,
                           done.end_us);
  for (auto& r : snap.replicas) {
    auto job = jobs_.find(r.job_id);
    if (job == jobs_.end()) continue;
    job->second.replicas.push_back(r.id);
    if (is_active(r.state)) {
      active_on_[r.partition].insert(r.id);
      auto p = partitions_.find(r.partition);
      if (p != partitions_.end()) p->second.allocate(r.job_id, allocation_for(p->second, job->second.spec, r.start_us));
      if (r.state == ReplicaState::Assigned) undelivered_[r.partition].push_back(r.id);
    }
    replicas_[r.id] = std::move(r);
  }
  std::vector<Job*> unfinished;
  for (auto& [id, job] : jobs_) {
    if (is_finished(job.state) && !job.settled) unsettled_.insert(id);
    if (!is_finished(job.state)) unfinished.push_back(&job);
    if (!is_finished(job.state) && needed_replicas(job) > 0) queue_.insert(queue_key(job));
    // A verdict may have been waiting for a comparison when og-schedd stopped.
    if (!is_finished(job.state) && std::any_of(job.replicas.begin(), job.replicas.end(), [&](uint64_t r) {
          return replicas_.at(r).state == ReplicaState::Done;
        }))
      to_evaluate_.insert(id);
    // The throttle counts running tasks, not their replicas.
    if (job.state == JobState::Running && job.is_array_task()) ++array_active_[job.array_job_id];
  }
  // A crash between committing a submission and locking its escrow: lock it now (a lock
  // already made is not made twice).
  if (ledger_) {
    for (Job* job : unfinished) lock_escrow({job});  // one user's empty wallet is no one else's problem
    for (const auto& [account, balance] : ledger_->balances())
      if (account.rfind("unbonding:", 0) == 0 && balance > 0) unbonding_.insert(account.substr(10));
  }
  dirty_ = true;
  log_info("state_loaded", {{"jobs", std::to_string(jobs_.size())},
                            {"replicas", std::to_string(replicas_.size())},
                            {"partitions", std::to_string(partitions_.size())}});
}

// ---- credentials ----------------------------------------------------------------------

std::optional<User> Controller::cached_user(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::string hash = sha256_hex(token);
  std::lock_guard lock(mu_);
  auto it = user_cache_.find(hash);
  return it == user_cache_.end() ? std::nullopt : std::optional<User>(it->second);
}

std::optional<User> Controller::authenticate(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::string hash = sha256_hex(token);
  std::lock_guard lock(mu_);
  auto it = user_cache_.find(hash);
  if (it != user_cache_.end()) return it->second;
  // Users added while we run (og-schedd --add-user writes to the same database).
  auto user = store_.find_user_by_token(hash);
  if (user) user_cache_[hash] = *user;
  return user;
}

void Controller::set_public_key(const User& user, const std::string& public_hex) {
  if (!is_sha256_hex(public_hex))  // same shape: 32 bytes in hex
    throw ApiError(400, "invalid_key", "an Ed25519 public key is 64 lower-case hex digits (og-keygen prints it)");
  std::lock_guard lock(mu_);
  store_.set_public_key(user.name, public_hex);
  public_keys_[user.name] = public_hex;
  log_info("public_key_set", {{"user", user.name}, {"key", public_hex.substr(0, 16)}});
}

std::string Controller::public_key(const std::string& user) {
  std::lock_guard lock(mu_);
  return public_key_locked(user);
}

const std::string& Controller::public_key_locked(const std::string& user) {
  auto it = public_keys_.find(user);
  if (it == public_keys_.end()) it = public_keys_.emplace(user, store_.public_key(user)).first;
  return it->second;
}

std::string Controller::add_user(const std::string& name, const std::string& role) {
  if (!is_plain_name(name))
    throw ApiError(400, "invalid_user", "user name must be 1-64 letters, digits, '_', '.' or '-'");
  if (role != "admin" && role != "user" && role != "worker")
    throw ApiError(400, "invalid_role", "role must be admin, user or worker");
  std::string token = random_token_hex();
  std::lock_guard lock(mu_);
  store_.add_user(User{name, role}, sha256_hex(token));
  log_info("user_added", {{"user", name}, {"role", role}});
  return token;
}

// ---- jobs -----------------------------------------------------------------------------

std::vector<uint64_t> Controller::submit(const User& user, JobSpec spec, const Secrets& secrets, uint64_t audit_of) {
  check_signature(user, spec);  // the costly part, before the lock; the key's owner under it
  if (std::set<std::string>(spec.secrets.begin(), spec.secrets.end()).size() != spec.secrets.size() ||
      secrets.size() != spec.secrets.size() ||
      !std::all_of(spec.secrets.begin(), spec.secrets.end(), [&](const std::string& n) { return secrets.count(n); }))
    throw ApiError(400, "invalid_secrets", "\"secrets\" must hold one value for each name in the job's \"secrets\"");
  jobscripts::DependencySpec dependency;
  if (!spec.dependency.empty()) {
    try {
      dependency = jobscripts::parse_dependency(spec.dependency);
    } catch (const std::exception& e) {
      throw ApiError(400, "invalid_spec", e.what());
    }
  }
  if (spec.time_limit_s == kTimeUnset) spec.time_limit_s = options_.default_time_limit_s;
  if (ledger_) {
    // What the job may cost must be known to lock it: its prices default to og-schedd's.
    if (spec.time_limit_s <= 0)
      throw ApiError(400, "unbounded_cost",
                     "a job without a time limit cannot be paid for in advance: give it one with --time");
    if (spec.max_price_micros == 0) spec.max_price_micros = options_.economics.default_max_price_micros;
    if (spec.gpus > 0 && spec.max_gpu_price_micros == 0)
      spec.max_gpu_price_micros = options_.economics.default_max_gpu_price_micros;
  }
  std::vector<uint32_t> tasks;
  uint32_t throttle = 0;
  if (!spec.array.empty()) {
    try {
      auto parsed = jobscripts::parse_array_spec(spec.array);
      tasks = std::move(parsed.task_ids);
      throttle = parsed.max_running;
    } catch (const std::exception& e) {
      throw ApiError(400, "invalid_spec", std::string("array: ") + e.what());
    }
  }
  int64_t now_us = now_unix_us();
  std::vector<uint64_t> ids;
  std::lock_guard lock(mu_);
  if (stopping_) throw ApiError(503, "shutting_down", "og-schedd is shutting down; retry");
  check_signer(user, spec);
  if (!spec.bundle_sha256.empty() && !store_.owns_bundle(user.name, spec.bundle_sha256))
    throw ApiError(400, "bundle_missing",
                   "no bundle " + spec.bundle_sha256 + " was uploaded by " + user.name + ": upload it first");
  // As sbatch does, refuse a dependency on a job that does not exist.
  for (const auto& term : dependency.terms)
    for (const auto& target : term.targets)
      if (dependency_targets(target).empty())
        throw ApiError(400, "invalid_dependency",
                       "--dependency names job " + std::to_string(target.job_id) +
                           (target.array_task >= 0 ? "_" + std::to_string(target.array_task) : "") +
                           ", which does not exist");
  if (ledger_) {
    int64_t each = 0, count = tasks.empty() ? 1 : int64_t(tasks.size()), all = 0;
    try {
      each = max_cost_micros(spec);
      all = checked_amount_product(each, count, "its cost for all array tasks");
    } catch (const AmountTooLarge& e) {
      throw ApiError(400, "cost_too_large", std::string("the job cannot be paid for: ") + e.what() +
                                                 "; lower --max-price, --time, --replicas or the resources asked");
    }
    int64_t have = ledger_->balance(wallet_account(user.name));
    if (each > 0 && have < all)
      throw ApiError(402, "insufficient_funds",
                     "the job may cost up to " + format_money(all) +
                         " (max price x resources x time limit x replicas" + (count > 1 ? " x tasks" : "") +
                         "), which is locked in escrow at submission, but your wallet holds " + format_money(have) +
                         ": add funds with og-wallet deposit, or lower --time, --max-price or --replicas");
  }
  auto txn = store_.transaction();
  std::vector<Job> created;
  auto make_job = [&](int64_t task_id) {
    Job job;
    job.user = user.name;
    job.spec = spec;
    job.submit_us = now_us;
    job.array_task_id = task_id;
    job.array_max_running = throttle;
    job.dependency = dependency;
    job.array_job_id = ids.empty() ? 0 : ids.front();
    job.reason = spec.hold ? std::string(reason::kHeld) : std::string(reason::kNone);
    job.id = store_.insert_job(job);
    for (const auto& [name, value] : secrets) store_.insert_secret(job.id, name, value);
    if (task_id >= 0 && ids.empty()) {
      job.array_job_id = job.id;  // the first task's id names the array, as in Slurm
      store_.update_job(job, "");
    }
    journal(job, EventKind::Submitted, user.name, {{"hold", spec.hold}}, now_us);
    if (audit_of != 0) {
      store_.add_audit(audit_of, job.id);  // refused (unique) if disputed before
      Job disputed = any_job(audit_of);
      journal(disputed, EventKind::Disputed, user.name, {{"audit", job.id}}, now_us);
    }
    ids.push_back(job.id);
    created.push_back(std::move(job));
  };
  if (tasks.empty()) {
    make_job(-1);
  } else {
    for (uint32_t t : tasks) make_job(t);
  }
  txn.commit();
  if (audit_of != 0) audit_of_[ids.front()] = audit_of;
  // Memory follows the store only once the commit succeeded.
  std::vector<Job*> live;
  for (auto& job : created) {
    fairshare_.add_account(charge_account(job));
    queue_.insert(queue_key(job));
    uint64_t id = job.id;
    jobs_[id] = std::move(job);
    live.push_back(&jobs_[id]);
  }
  if (ledger_) lock_escrow(live);
  request_pass();
  log_info("job_submitted", {{"job", std::to_string(ids.front())},
                             {"user", user.name},
                             {"tasks", std::to_string(ids.size())}});
  return ids;
}

void Controller::check_signature(const User& user, const JobSpec& spec) {
  if (spec.signature.empty() && spec.signer.empty()) {
    if (!options_.require_signed) return;
    throw ApiError(400, "unsigned_job",
                   "og-schedd accepts signed jobs only: submit with og-sbatch, which signs with your key "
                   "(created on first use), or start og-schedd with --allow-unsigned");
  }
  if (auto problem = job_signature_problem(user.name, spec); !problem.empty())
    throw ApiError(400, std::string(reason::kBadSignature), problem);
}

void Controller::check_signer(const User& user, const JobSpec& spec) {
  if (spec.signer.empty()) return;  // unsigned, and allowed (check_signature said so)
  const std::string& key = public_key_locked(user.name);
  if (key.empty())
    throw ApiError(400, std::string(reason::kBadSignature),
                   "no signing key is registered for " + user.name + ": register yours with og-keygen --register");
  if (spec.signer != key)
    throw ApiError(400, std::string(reason::kBadSignature),
                   "the job is signed with a key that is not " + user.name + "'s registered key");
}

Secrets Controller::lease_secrets(const User& user, uint64_t lease_id) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  return store_.load_secrets(r.job_id);
}

TestOnlyResult Controller::test_only(const User& user, JobSpec spec) {
  std::lock_guard lock(mu_);
  if (spec.time_limit_s == kTimeUnset) spec.time_limit_s = options_.default_time_limit_s;
  if (ledger_ && spec.max_price_micros == 0) spec.max_price_micros = options_.economics.default_max_price_micros;
  if (ledger_ && spec.gpus > 0 && spec.max_gpu_price_micros == 0)
    spec.max_gpu_price_micros = options_.economics.default_max_gpu_price_micros;
  Job probe;
  probe.id = kProbeJobId;
  probe.user = user.name;
  probe.spec = spec;
  probe.submit_us = now_unix_us();
  TestOnlyResult result;
  auto placed = place_replicas(probe, partitions_, {}, spec.replicas);
  for (auto* p : placed.chosen) result.partitions.push_back(p->name);
  result.reason = placed.reason;
  auto plan = plan_starts(&probe);
  if (auto it = plan.find(kProbeJobId); it != plan.end()) result.estimate = it->second;
  return result;
}

std::vector<Controller::RankedJob> Controller::ranked_ready(int64_t now_us, Job* extra) {
  std::vector<RankedJob> ranked;
  uint64_t cpus = mesh_cpus();
  for (const auto& [nice, id] : queue_) {
    Job* job = &jobs_.at(id);
    if (eligible(*job, now_us)) ranked.push_back({priority_->factors(*job, now_us, cpus).priority, job});
  }
  if (extra) ranked.push_back({priority_->factors(*extra, now_us, cpus).priority, extra});
  // Highest priority first; the queue's own order (nice, then submission) breaks ties.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const RankedJob& a, const RankedJob& b) { return a.priority > b.priority; });
  return ranked;
}

PlacementRequest Controller::placement_request(const Job& job, uint32_t needed) {
  PlacementRequest request;
  request.count = needed;
  request.exclude = partitions_of(job);
  std::set<std::string> avoid = request.exclude;
  // An audit runs on established providers that share no identity with those whose
  // result it checks.
  if (auto audit = audit_of_.find(job.id); audit != audit_of_.end()) {
    request.min_valid_streak = options_.economics.established_after;
    auto& ran = audit_avoids_[job.id];  // read once, not at every pass
    if (ran.empty())
      for (const auto& r : store_.load_replicas(audit->second)) ran.insert(r.partition);
    avoid.insert(ran.begin(), ran.end());
  }
  for (const auto& name : avoid)
    if (auto p = partitions_.find(name); p != partitions_.end())
      for (auto& id : identities_of(p->second)) request.exclude_operators.insert(std::move(id));
  return request;
}

std::map<uint64_t, StartEstimate> Controller::plan_starts(Job* probe) {
  int64_t now_us = now_unix_us();
  StartPlanner planner(partitions_, now_us);
  std::map<uint64_t, StartEstimate> out;
  size_t planned = 0;
  for (const auto& [priority, job] : ranked_ready(now_us, probe)) {
    // As Slurm's backfill (bf_max_job_test), only so many jobs are looked ahead.
    if (planned++ == options_.max_planned_jobs) break;
    uint32_t needed = job == probe ? job->spec.replicas : needed_replicas(*job);
    if (needed == 0) continue;
    auto start = planner.plan(*job, placement_request(*job, needed));
    if (!start) continue;
    StartEstimate e;
    e.start_us = start->start_us;
    e.cost_micros = start->cost_micros;
    for (const Partition* p : start->partitions) e.partitions.push_back(p->name);
    out[job->id] = std::move(e);
  }
  return out;
}

uint64_t Controller::mesh_cpus() const {
  uint64_t cpus = 0;
  for (const auto& [name, p] : partitions_)
    if (p.state == PartitionState::Up) cpus += p.cpus;
  return cpus;
}

Job& Controller::job_or_throw(uint64_t id) {
  auto it = jobs_.find(id);
  if (it != jobs_.end()) return it->second;
  if (store_.load_job(id))
    throw ApiError(409, "job_finished", "job " + std::to_string(id) + " has already finished");
  throw not_found(id);
}

void Controller::check_owner(const User& user, const Job& job) const {
  if (user.role != "admin" && user.name != job.user)
    throw ApiError(403, "forbidden",
                   "job " + std::to_string(job.id) + " belongs to " + job.user + ", not " + user.name);
}

JobView Controller::cancel_job(const User& user, uint64_t id) {
  std::lock_guard lock(mu_);
  Job& job = job_or_throw(id);
  check_owner(user, job);
  if (is_finished(job.state))
    throw ApiError(409, "job_finished", "job " + std::to_string(id) + " has already finished (" +
                                            std::string(to_string(job.state)) + ")");
  int64_t now_us = now_unix_us();
  auto txn = store_.transaction();
  record(job, nullptr, EventKind::Cancelled, user.name, {{"reason", reason::kNone}}, now_us);
  txn.commit();
  log_info("job_cancelled", {{"job", std::to_string(id)}, {"by", user.name}});
  return view_of(job);
}

JobView Controller::set_hold(const User& user, uint64_t id, bool hold) {
  std::lock_guard lock(mu_);
  Job& job = job_or_throw(id);
  check_owner(user, job);
  if (job.state != JobState::Pending)
    throw ApiError(409, "not_pending", "job " + std::to_string(id) + " is " +
                                           std::string(to_string(job.state)) +
                                           "; only pending jobs can be held or released");
  if (job.spec.hold != hold) {
    auto txn = store_.transaction();
    record(job, nullptr, hold ? EventKind::Held : EventKind::Released, user.name, {}, now_unix_us());
    store_.update_job_spec(id, job.spec);
    txn.commit();
  }
  return view_of(job);
}

JobView Controller::requeue_job(const User& user, uint64_t id) {
  std::lock_guard lock(mu_);
  Job& job = job_or_throw(id);
  check_owner(user, job);
  if (job.state != JobState::Running)
    throw ApiError(409, "not_running", "job " + std::to_string(id) + " is " +
                                           std::string(to_string(job.state)) + "; only running jobs can be requeued");
  for (uint64_t rid : job.replicas)
    if (replicas_.at(rid).state == ReplicaState::Done)
      throw ApiError(409, "has_results", "job " + std::to_string(id) +
                                             " already has reported results; cancel it instead");
  int64_t now_us = now_unix_us();
  auto txn = store_.transaction();
  stop_replicas(job, now_us, /*keep_running=*/false);
  record(job, nullptr, EventKind::Requeued, user.name, {{"to_pending", true}}, now_us);
  txn.commit();
  log_info("job_requeued", {{"job", std::to_string(id)}, {"by", user.name}});
  return view_of(job);
}

JobView Controller::update_job(const User& user, uint64_t id, const JobUpdate& update) {
  std::lock_guard lock(mu_);
  Job& job = job_or_throw(id);
  check_owner(user, job);
  if (job.state != JobState::Pending)
    throw ApiError(409, "not_pending", "job " + std::to_string(id) + " is " +
                                           std::string(to_string(job.state)) + "; only pending jobs can be updated");
  if (update.nice && *update.nice < 0 && user.role != "admin")
    throw ApiError(403, "forbidden", "only an admin may give a job a negative nice value");
  if (update.time_limit_s && (*update.time_limit_s == 0 || *update.time_limit_s < kTimeUnlimited))
    throw ApiError(400, "invalid_field", "the time limit must be positive or UNLIMITED");
  // As in Slurm, only an admin may raise a time limit; and where payments are on, never
  // past what the job's escrow holds (locked for the limit it was submitted with).
  auto longer = [](int64_t a, int64_t b) { return a == kTimeUnlimited ? b != kTimeUnlimited : b != kTimeUnlimited && a > b; };
  if (update.time_limit_s && longer(*update.time_limit_s, job.spec.time_limit_s)) {
    if (user.role != "admin")
      throw ApiError(403, "forbidden", "only an admin may raise a job's time limit, as in Slurm (a lower one you may set)");
    if (ledger_) {
      JobSpec wanted = job.spec;
      wanted.time_limit_s = *update.time_limit_s;
      int64_t held = ledger_->balance(escrow_account(id)), needed = -1;
      try {
        if (wanted.time_limit_s != kTimeUnlimited) needed = max_cost_micros(wanted);
      } catch (const AmountTooLarge&) {
      }
      if (needed < 0 || needed > held)
        throw ApiError(409, "escrow_locked",
                       "job " + std::to_string(id) + "'s escrow holds " + format_money(held) +
                           (needed < 0 ? std::string(", and no escrow covers an unlimited run")
                                       : ", less than the " + format_money(needed) + " a longer limit may cost") +
                           ": cancel and resubmit it with the limit it needs");
    }
  }
  nlohmann::json changed = nlohmann::json::object();
  if (update.time_limit_s) changed["time_limit_s"] = *update.time_limit_s;
  if (update.nice) changed["nice"] = *update.nice;
  queue_.erase(queue_key(job));  // keyed by nice
  try {
    auto txn = store_.transaction();
    record(job, nullptr, EventKind::Updated, user.name, changed, now_unix_us());
    store_.update_job_spec(id, job.spec);
    txn.commit();
  } catch (...) {
    queue_.insert(queue_key(job));
    throw;
  }
  queue_.insert(queue_key(job));
  return view_of(job);
}

Job Controller::any_job(uint64_t job_id) {
  if (auto it = jobs_.find(job_id); it != jobs_.end()) return it->second;
  if (auto stored = store_.load_job(job_id)) return std::move(*stored);
  throw not_found(job_id);
}

// ---- partitions and workers -----------------------------------------------------------

Partition Controller::register_partition(const User& user, Partition proposal) {
  if (user.role != "worker" && user.role != "admin")
    throw ApiError(403, "forbidden", "only worker credentials can register partitions");
  std::lock_guard lock(mu_);
  auto it = partitions_.find(proposal.name);
  if (it != partitions_.end() && it->second.owner != user.name && user.role != "admin")
    throw ApiError(403, "forbidden", "partition " + proposal.name + " is registered by " +
                                         it->second.owner);
  if (ledger_ && options_.economics.min_bond_micros > 0) {
    // A provider answers for its results with a bond, one for each partition it offers (a
    // second partition under one bond would make a second vote cost nothing): topped up
    // from its wallet.
    int64_t count = it == partitions_.end() ? 1 : 0;
    for (const auto& [name, p] : partitions_) count += p.owner == user.name || (name == proposal.name);
    int64_t wanted = checked_amount_product(options_.economics.min_bond_micros, count, "the bond");
    int64_t bond = ledger_->balance(bond_account(user.name));
    if (bond < wanted) {
      int64_t need = wanted - bond;
      try {
        ledger_->apply(Transfer{"bond:" + user.name + ":" + random_token_hex().substr(0, 16), wallet_account(user.name),
                                bond_account(user.name), need, "bond for " + proposal.name});
      } catch (const InsufficientFunds& e) {
        throw ApiError(402, "bond_required",
                       "a provider posts a bond of " + format_money(options_.economics.min_bond_micros) +
                           " for each partition it offers (" + std::to_string(count) + ": " + format_money(wanted) +
                           "); " + user.name + "'s bond holds " + format_money(bond) + " and its wallet " +
                           format_money(e.balance()) + ": og-wallet deposit " + format_money(need) + " as " +
                           user.name + ", then start og-worker again");
      }
    }
  }
  Partition& p = partitions_[proposal.name];
  bool fresh = p.name.empty();
  p.name = proposal.name;
  p.owner = user.name;
  p.cpus = proposal.cpus;
  p.memory_mb = proposal.memory_mb;
  p.gpus = proposal.gpus;
  p.gpu_type = proposal.gpu_type;
  p.price_micros = proposal.price_micros;
  p.features = proposal.features;
  p.isolation = proposal.isolation;
  p.egress = proposal.egress;
  p.gpu_price_micros = proposal.gpu_price_micros;
  p.operator_name = proposal.operator_name;
  if (fresh) p.registered_us = now_unix_us();
  p.instance = ++last_instance_;
  p.last_seen_us = monotonic_us();
  p.state = p.drain_requested ? PartitionState::Drain : PartitionState::Up;
  poll_cv_[p.name];
  store_.upsert_partition(p);
  request_pass();
  log_info("partition_registered", {{"partition", p.name},
                                    {"owner", p.owner},
                                    {"cpus", std::to_string(p.cpus)},
                                    {"memory_mb", std::to_string(p.memory_mb)},
                                    {"gpus", std::to_string(p.gpus)}});
  return p;
}

std::vector<Partition> Controller::partitions() {
  std::lock_guard lock(mu_);
  std::vector<Partition> out;
  for (const auto& [name, p] : partitions_) out.push_back(p);
  return out;
}

Partition Controller::set_drain(const User& user, const std::string& name, bool drain) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(name);
  if (it == partitions_.end())
    throw ApiError(404, "partition_not_found", "partition " + name + " does not exist");
  Partition& p = it->second;
  if (user.role != "admin" && user.name != p.owner)
    throw ApiError(403, "forbidden", "only an admin or the partition's owner can drain it");
  p.drain_requested = drain;
  if (p.state == PartitionState::Up || p.state == PartitionState::Drain)
    p.state = drain ? PartitionState::Drain : PartitionState::Up;
  store_.upsert_partition(p);
  request_pass();
  log_info(drain ? "partition_drained" : "partition_resumed", {{"partition", name}});
  return p;
}

PollResult Controller::poll(const User& user, const std::string& name, uint64_t instance,
                            const std::set<uint64_t>& running, int64_t wait_us) {
  // Stamped before taking the lock: a poll stuck behind a long request still proves the
  // worker alive.
  int64_t arrived_mono = monotonic_us();
  std::unique_lock lock(mu_);
  auto it = partitions_.find(name);
  if (it == partitions_.end())
    throw ApiError(404, "partition_not_found",
                   "partition " + name + " is not registered; register it first");
  if (it->second.owner != user.name)
    throw ApiError(403, "forbidden", "partition " + name + " is registered by another worker");
  // Two og-worker processes must not serve one partition: each would write off the
  // other's leases. The latest registration wins; after our own restart (instance 0)
  // the first worker to poll is adopted.
  if (it->second.instance == 0) it->second.instance = instance;
  if (instance != 0 && instance != it->second.instance)
    throw ApiError(409, "superseded",
                   "another og-worker registered partition " + name +
                       " after this one; give each worker its own --name");
  int64_t now_us = now_unix_us();
  // A newer poll from the same partition supersedes an older one still waiting (its
  // worker restarted or gave up on it): that one must not take leases nobody will read.
  uint64_t seq = ++poll_seq_[name];
  poll_cv_[name].notify_all();
  {
    Partition& p = it->second;
    p.last_seen_us = std::max(p.last_seen_us, arrived_mono);
    if (p.state == PartitionState::Down || p.state == PartitionState::Unknown) {
      p.state = p.drain_requested ? PartitionState::Drain : PartitionState::Up;
      request_pass();
      log_info("partition_back", {{"partition", name}});
    }
    // Reconcile: a delivered lease the worker no longer lists was lost (the worker
    // restarted) — unless it was being cancelled anyway, or it went out in the previous
    // answer, which may never have arrived: that one is offered again.
    std::vector<Replica*> resent, forgotten;
    for (uint64_t rid : active_on_[name]) {
      Replica& r = replicas_.at(rid);
      if (r.state != ReplicaState::Running || running.count(rid)) continue;
      (r.delivered_seq + 1 == seq && !r.cancel_requested ? resent : forgotten).push_back(&r);
    }
    if (!resent.empty() || !forgotten.empty()) {
      auto txn = store_.transaction();
      for (Replica* r : resent) {
        record(jobs_.at(r->job_id), r, EventKind::ReplicaRedelivered, name, {}, now_us);
        undelivered_[name].push_back(r->id);
      }
      for (Replica* r : forgotten) replica_stopped(*r, EventKind::ReplicaLost, name, {}, now_us);
      txn.commit();
    }
  }
  auto superseded = [&] { return poll_seq_[name] != seq; };
  auto& cancels_sent = cancel_sent_[name];
  auto has_work = [&] {
    if (stopping_ || superseded()) return true;
    if (!undelivered_[name].empty()) return true;
    for (uint64_t rid : running)
      if (auto r = replicas_.find(rid);
          r != replicas_.end() && r->second.cancel_requested && !cancels_sent.count(rid))
        return true;
    return false;
  };
  wait_us = std::clamp<int64_t>(wait_us, 0, max_poll_wait_us());
  poll_cv_[name].wait_for(lock, std::chrono::microseconds(wait_us), has_work);

  PollResult result;
  if (superseded()) return result;
  auto& pending = undelivered_[name];
  // Delivery is not written to the store: after a restart an ASSIGNED lease is simply
  // offered again, and a worker already running it ignores the duplicate.
  if (!pending.empty()) {
    now_us = now_unix_us();  // after the wait
    auto txn = store_.transaction();
    for (uint64_t rid : pending) {
      auto r = replicas_.find(rid);
      if (r == replicas_.end() || r->second.state != ReplicaState::Assigned) continue;
      Job& job = jobs_.at(r->second.job_id);
      record(job, &r->second, EventKind::ReplicaStarted, name, {}, now_us);
      r->second.delivered_seq = seq;
      result.leases.push_back({r->second, job});
    }
    txn.commit();
    pending.clear();
  }
  // Leases the worker runs that we want stopped: cancelled, unknown, or already
  // written off (declared lost while the worker was out of touch). Remembered until the
  // worker stops listing them, so they wake no poll twice.
  std::set<uint64_t> still_to_stop;
  for (uint64_t rid : running) {
    auto r = replicas_.find(rid);
    if (r == replicas_.end() || r->second.cancel_requested ||
        r->second.state != ReplicaState::Running) {
      result.cancel.push_back(rid);
      still_to_stop.insert(rid);
    }
  }
  cancels_sent = std::move(still_to_stop);
  it = partitions_.find(name);
  it->second.last_seen_us = monotonic_us();
  return result;
}

Replica& Controller::held_lease(const User& user, uint64_t lease_id) {
  auto it = replicas_.find(lease_id);
  if (it == replicas_.end())
    throw ApiError(404, "lease_not_found", "lease " + std::to_string(lease_id) + " is not known");
  Replica& r = it->second;
  auto p = partitions_.find(r.partition);
  if (p == partitions_.end() || p->second.owner != user.name)
    throw ApiError(403, "forbidden", "lease " + std::to_string(lease_id) + " is not held by " + user.name);
  if (!is_active(r.state))
    throw ApiError(409, "lease_inactive",
                   "lease " + std::to_string(lease_id) + " is no longer active (" + std::string(to_string(r.state)) +
                       "); its result is not accepted");
  return r;
}

bool Controller::milestone(const User& user, uint64_t lease_id, uint32_t index, const std::string& digest) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  r.milestones[index] = digest;
  Job& job = jobs_.at(r.job_id);
  const bool is_checkpoint = index == job.checkpoint_milestone && digest == job.checkpoint_sha256;
  if (is_finished(job.state) || is_checkpoint) return is_checkpoint;
  std::vector<const Replica*> agreeing;
  for (uint64_t id : job.replicas) {
    const Replica& other = replicas_.at(id);
    auto m = other.milestones.find(index);
    if (m != other.milestones.end() && m->second == digest) agreeing.push_back(&other);
  }
  if (agreeing.size() < quorum_needed(job)) return false;
  // Verified: a replica started from now on (replacing a lost one) resumes here.
  if (index > job.checkpoint_milestone) {
    auto txn = store_.transaction();
    record(job, nullptr, EventKind::MilestoneVerified, "og-schedd", {{"milestone", index}, {"sha256", digest}},
           now_unix_us());
    store_.set_checkpoint(job.id, index, digest);
    txn.commit();
  }
  if (ledger_ && !job.paid_milestones.count(index)) pay_milestone(job, index, agreeing);
  return index == job.checkpoint_milestone;
}

void Controller::pay_milestone(Job& job, uint32_t index, const std::vector<const Replica*>& replicas) {
  std::vector<SettledReplica> agreeing;
  auto prepaid = milestone_payments(job);
  for (const Replica* other : replicas) {
    auto p = partitions_.find(other->partition);
    SettledReplica sr{other, p == partitions_.end() ? other->partition : p->second.owner};
    sr.prepaid = prepaid[other->id].first;
    agreeing.push_back(sr);
  }
  auto transfers = plan_milestone(job, index, agreeing, now_unix_us(), ledger_->balance(escrow_account(job.id)),
                                  options_.economics);
  ledger_->apply(transfers);
  job.paid_milestones.insert(index);
  log_info("milestone_paid", {{"job", std::to_string(job.id)}, {"milestone", std::to_string(index)},
                              {"replicas", std::to_string(agreeing.size())}});
}

std::map<uint64_t, std::pair<int64_t, int64_t>> Controller::milestone_payments(const Job& job) {
  std::map<uint64_t, std::pair<int64_t, int64_t>> out;
  if (!ledger_) return out;
  for (const auto& e : ledger_->history(escrow_account(job.id), 100'000)) {
    auto key = parse_payment_key(e.transfer.key);
    if (!key || !key->milestone || key->job_id != job.id) continue;
    out[key->replica_id].first += e.transfer.amount;
    if (key->fee) out[key->replica_id].second += e.transfer.amount;
  }
  return out;
}

void Controller::complete(const User& user, uint64_t lease_id, const CompletionReport& report) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  int64_t now_us = now_unix_us();
  auto txn = store_.transaction();
  if (r.cancel_requested || !has_outputs(report.outcome)) {
    // Cancelled as we asked; else given back by its provider, and run elsewhere (an older
    // og-worker says CANCELLED for both).
    std::string why = report.handback_reason.empty() ? "stopped by its provider" : report.handback_reason;
    replica_stopped(r, EventKind::ReplicaHandedBack, r.partition, {{"reason", why}}, now_us);
  } else {
    Job& job = jobs_.at(r.job_id);
    nlohmann::json reported = {
        {"outcome", to_string(report.outcome)}, {"exit_code", report.exit_code}, {"root", report.root}};
    if (!report.reason.empty()) reported["reason"] = report.reason;
    r.manifest_json = report.manifest_json;  // named by its root in the event
    record(job, &r, EventKind::ReplicaReported, r.partition, std::move(reported), now_us);
    if (!is_finished(job.state)) evaluate_quorum(job, now_us);
  }
  txn.commit();
}

// ---- payment ---------------------------------------------------------------------------

void Controller::lock_escrow(const std::vector<Job*>& jobs) {
  std::vector<Transfer> locks;
  for (Job* job : jobs)
    if (int64_t cost = max_cost_micros(job->spec); cost > 0) locks.push_back(lock_transfer(*job, cost));
  if (locks.empty()) return;
  try {
    ledger_->apply(locks);
  } catch (const InsufficientFunds& e) {
    // Funds went between the check and the lock (or before a restart): these jobs cannot
    // be paid for, so they end without running.
    int64_t now_us = now_unix_us();
    auto txn = store_.transaction();
    for (Job* job : jobs)
      if (!ledger_->find(lock_transfer(*job, 1).key) && !is_finished(job->state))
        record(*job, nullptr, EventKind::Cancelled, "og-schedd", {{"reason", reason::kBudget}}, now_us);
    txn.commit();
    log_warn("escrow_lock_failed", {{"error", e.what()}});
  }
}

void Controller::settle_ready(int64_t now_us) {
  for (auto it = unsettled_.begin(); it != unsettled_.end();) {
    auto job = jobs_.find(*it);
    if (job == jobs_.end()) {
      it = unsettled_.erase(it);
      continue;
    }
    bool running = std::any_of(job->second.replicas.begin(), job->second.replicas.end(),
                               [&](uint64_t id) { return is_active(replicas_.at(id).state); });
    if (running) {  // late replicas still vote: their outputs are checked against the result
      ++it;
      continue;
    }
    try {
      if (settle(job->second, now_us)) it = unsettled_.erase(it);
      else ++it;  // a comparison it needs is being made: its answer brings another pass
    } catch (const std::exception& e) {
      log_error("settlement_failed", {{"job", std::to_string(*it)}, {"error", e.what()}});
      ++it;  // tried again at the next pass; its transfers' keys keep it from paying twice
    }
  }
}

bool Controller::settle(Job& job, int64_t now_us) {
  auto canonical = replicas_.find(job.canonical_replica);
  // Late replicas are checked against the result: each comparison made before any payment.
  bool compared = true;
  for (uint64_t id : job.replicas)
    if (const Replica& r = replicas_.at(id); canonical != replicas_.end() && r.state == ReplicaState::Done)
      compared &= agreement(job.id, job.spec, canonical->second, r).has_value();
  if (!compared) return false;
  std::vector<SettledReplica> replicas;
  auto prepaid = milestone_payments(job);
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    auto p = partitions_.find(r.partition);
    std::string provider = p == partitions_.end() ? r.partition : p->second.owner;
    bool agrees = canonical != replicas_.end() && r.state == ReplicaState::Done &&
                  *agreement(job.id, job.spec, canonical->second, r);
    bool established = p != partitions_.end() && p->second.valid_streak >= options_.economics.established_after;
    replicas.push_back({&r, provider, ledger_ ? ledger_->balance(bond_account(provider)) : 0, agrees,
                        ledger_ ? ledger_->balance(unbonding_account(provider)) : 0, prepaid[id].first,
                        prepaid[id].second, established});
  }
  Settlement s = plan_settlement(job, replicas, ledger_ ? ledger_->balance(escrow_account(job.id)) : 0,
                                 options_.economics);
  if (ledger_) {
    if (audit_of_.count(job.id) && !settle_dispute(job, s.proven, now_us)) return false;
    ledger_->apply(s.transfers);
    // What the job cost is what left its escrow other than the refund: read back, so a
    // settlement replayed after a crash reports the same figures.
    s.cost = s.fee = 0;
    for (const auto& e : ledger_->history(escrow_account(job.id), 100'000)) {
      if (e.transfer.from != escrow_account(job.id) || e.transfer.key.ends_with(":refund")) continue;
      s.cost += e.transfer.amount;
      if (e.transfer.to == kTreasuryAccount) s.fee += e.transfer.amount;
    }
  }
  // The providers' reputations follow what the quorum found. A result counts as verified
  // only when another provider confirmed it.
  size_t agreeing = std::count_if(replicas.begin(), replicas.end(), [](const SettledReplica& sr) { return sr.agrees; });
  bool has_result = canonical != replicas_.end();
  for (const auto& sr : replicas) {
    const Replica& r = *sr.replica;
    auto p = partitions_.find(r.partition);
    if (p == partitions_.end()) continue;
    std::optional<ReputationEvent> event;
    bool outvoted = false;
    if (r.state == ReplicaState::Lost) {
      event = ReputationEvent::Error;
    } else if (r.state == ReplicaState::Done && has_result) {
      if (sr.agrees) {
        // Alone, it proves nothing; nor on a job its requester pinned to chosen providers
        // (-p, -C): providers could confirm each other there on their own jobs to become
        // established witnesses. Only a placement og-schedd drew earns trust.
        if (agreeing >= 2 && job.spec.partition.empty() && job.spec.constraint.empty())
          event = ReputationEvent::Verified;
      } else if (r.reason.empty() && (r.outcome == "COMPLETED" || r.outcome == "FAILED")) {
        // Outvoted: wrong only where established witnesses prove it; else it may be the
        // honest one among newcomers who agree on something else. Either way its trust
        // (the streak that lets it run alone) starts again.
        outvoted = true;
        if (s.proven) event = ReputationEvent::Invalid;
      } else if (r.outcome != "CANCELLED") {
        event = ReputationEvent::Error;  // timed out where others finished
      }
    }
    if (outvoted && !event && p->second.valid_streak != 0) {
      p->second.valid_streak = 0;
      store_.upsert_partition(p->second);
    }
    if (!event) continue;
    record_reputation(p->second, *event, now_us, options_.reputation);
    // Trust (adaptive_replication.hpp) is earned by confirmed results in a row.
    p->second.valid_streak = *event == ReputationEvent::Verified ? p->second.valid_streak + 1 : 0;
    store_.upsert_partition(p->second);
  }
  {
    auto txn = store_.transaction();
    record(job, nullptr, EventKind::Settled, "og-schedd",
           {{"cost", s.cost}, {"fee", s.fee}, {"paid", join(s.paid, ",")}}, now_us);
    txn.commit();
  }
  return true;
  if (ledger_ && (s.cost > 0 || !s.slashed.empty()))
    log_info("job_settled", {{"job", std::to_string(job.id)},
                             {"cost", format_money(s.cost)},
                             {"fee", format_money(s.fee)},
                             {"paid", job.paid_to},
                             {"slashed", join(s.slashed, ",")}});
}

Ledger& Controller::ledger_or_throw() {
  if (!ledger_)
    throw ApiError(409, "payments_off", "this og-schedd runs without a ledger (payments are off)");
  return *ledger_;
}

std::string Controller::wallet_owner(const User& user, const std::string& name) const {
  std::string owner = name.empty() ? user.name : name;
  if (owner != user.name && user.role != "admin")
    throw ApiError(403, "forbidden", "only an admin can see or fund another user's wallet");
  return owner;
}

WalletView Controller::wallet(const User& user, const std::string& name) {
  WalletView v;
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    v.name = wallet_owner(user, name);
    v.balance = ledger.balance(wallet_account(v.name));
    v.bond = ledger.balance(bond_account(v.name));
    v.unbonding = ledger.balance(unbonding_account(v.name));
    if (v.unbonding > 0) v.unbond_at_us = unbond_release_us(v.name);
    for (const auto& [id, job] : jobs_)
      if (job.user == v.name && !job.settled) v.escrow += ledger.balance(escrow_account(id));
  }
  if (evm_) {  // read from the chain outside the lock: a node can be slow
    ChainWalletView c;
    auto status = evm_->status();
    c.pending = static_cast<int64_t>(status.pending + status.in_flight);
    c.held = static_cast<int64_t>(status.held);
    c.last_error = status.last_error;
    if (auto address = evm_->address_of(v.name)) {
      c.address = evm::to_data(*address);
      try {
        c.budget = static_cast<int64_t>(evm_->escrow().account(*address).committed);
        c.credits = static_cast<int64_t>(evm_->escrow().credits(*address));
      } catch (const std::exception& e) {
        c.last_error = std::string("the chain did not answer: ") + e.what();
      }
    }
    v.chain = c;
  }
  return v;
}

std::string Controller::chain_link_message(const User& user, const std::string& address) {
  if (!evm_) throw ApiError(409, "no_chain", "this og-schedd does not settle on a chain (og-schedd --ledger evm)");
  try {
    std::string bytes = evm::from_data(address);
    if (bytes.size() != 20) throw std::invalid_argument("size");
    return evm_->link_message(user.name, bytes);
  } catch (const std::invalid_argument&) {
    throw ApiError(400, "invalid_address", "\"" + address + "\" is not a 0x-prefixed 20-byte address");
  }
}

WalletView Controller::link_chain_address(const User& user, const std::string& address, const std::string& signature) {
  chain_link_message(user, address);  // checks the chain and the address
  try {
    auto sig = evm::from_data(signature);
    evm_->link(user.name, evm::from_data(address), sig);
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, "invalid_link", std::string(e.what()) + " (og-wallet link signs it with your chain key)");
  }
  return wallet(user, "");
}

WalletView Controller::deposit(const User& user, const std::string& name, int64_t amount,
                               const std::string& request_id) {
  if (amount <= 0) throw ApiError(400, "invalid_amount", "a deposit must be a positive amount");
  if (evm_)
    throw ApiError(409, "deposits_on_chain",
                   "this og-schedd settles on chain: fund your wallet by committing a budget to JobEscrow with your "
                   "own key (og-wallet link, then og-chain commit AMOUNT)");
  std::string owner;
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    owner = wallet_owner(user, name);
    std::string prefix = "deposit:" + owner + ":";
    std::string key = prefix + (request_id.empty() ? random_token_hex().substr(0, 16) : request_id);
    // The faucet is test money: only where the operator turned it on, and only so much per
    // wallet. An admin's deposit is the operator's own act.
    if (user.role != "admin" && !ledger.find(key)) {
      if (options_.faucet_limit_micros == 0)
        throw ApiError(403, "faucet_disabled",
                       "this og-schedd has no faucet: ask its operator to fund your wallet (an admin's og-wallet "
                       "deposit AMOUNT --user NAME), or to start og-schedd with --faucet LIMIT for test money");
      int64_t given = ledger.total_under_key_prefix(prefix);
      if (amount > options_.faucet_limit_micros - given)
        throw ApiError(403, "faucet_limit",
                       "the faucet gives each wallet at most " + format_money(options_.faucet_limit_micros) + " in all; " +
                           owner + " has had " + format_money(given) + ", so at most " +
                           format_money(std::max<int64_t>(options_.faucet_limit_micros - given, 0)) + " more");
    }
    try {
      ledger.apply(Transfer{key, kExternalAccount, wallet_account(owner), amount, "faucet deposit by " + user.name});
    } catch (const AmountTooLarge& e) {
      throw ApiError(400, "amount_too_large", e.what());
    }
  }
  return wallet(user, owner);
}

WalletView Controller::withdraw(const User& user, int64_t amount, const std::string& request_id) {
  if (amount <= 0) throw ApiError(400, "invalid_amount", "a withdrawal must be a positive amount");
  if (evm_)
    throw ApiError(409, "withdrawals_on_chain",
                   "this og-schedd settles on chain: earnings wait in JobEscrow (og-chain withdraw-credits), an unspent "
                   "budget comes back after its date (JobEscrow.reclaim)");
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    std::string key = "withdraw:" + user.name + ":" + (request_id.empty() ? random_token_hex().substr(0, 16) : request_id);
    try {
      ledger.apply(Transfer{key, wallet_account(user.name), kExternalAccount, amount, "withdrawal"});
    } catch (const InsufficientFunds& e) {
      throw ApiError(402, "insufficient_funds", "your wallet holds " + format_money(e.balance()) +
                                                    ", less than the " + format_money(amount) + " asked for");
    }
  }
  return wallet(user, "");
}

int64_t Controller::unbond_release_us(const std::string& name) {
  // The newest transfer into the unbonding account starts the delay.
  for (const auto& e : ledger_->history(unbonding_account(name), 20))
    if (e.transfer.to == unbonding_account(name)) return e.at_us + options_.economics.unbond_delay_s * 1'000'000;
  return 0;
}

WalletView Controller::unbond(const User& user) {
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    int64_t bond = ledger.balance(bond_account(user.name));
    if (bond <= 0) throw ApiError(409, "no_bond", user.name + " has no bond posted");
    for (const auto& [name, p] : partitions_)
      if (p.owner == user.name && !active_on_[name].empty())
        throw ApiError(409, "partition_busy", "partition " + name + " still runs work: og-scontrol drain " + name +
                                                  ", wait for it to finish, then unbond");
    for (auto& [name, p] : partitions_) {
      if (p.owner != user.name) continue;
      p.drain_requested = true;  // no bond, no new work
      if (p.state == PartitionState::Up) p.state = PartitionState::Drain;
      store_.upsert_partition(p);
    }
    ledger.apply(Transfer{"unbond:" + user.name + ":" + random_token_hex().substr(0, 16), bond_account(user.name),
                          unbonding_account(user.name), bond, "bond withdrawn"});
    unbonding_.insert(user.name);
    log_info("unbonding", {{"provider", user.name}, {"amount", format_money(bond)}});
    request_pass();  // the loop learns when to release it
  }
  return wallet(user, "");
}

int64_t Controller::release_unbonded(int64_t now_us) {
  int64_t next_due = 0;
  for (auto it = unbonding_.begin(); it != unbonding_.end();) {
    int64_t held = ledger_->balance(unbonding_account(*it));
    int64_t due = held > 0 ? unbond_release_us(*it) : 0;
    if (held <= 0) {
      it = unbonding_.erase(it);
    } else if (due <= now_us) {
      ledger_->apply(Transfer{"unbonded:" + *it + ":" + std::to_string(due), unbonding_account(*it),
                              wallet_account(*it), held, "bond released"});
      it = unbonding_.erase(it);
    } else {
      next_due = next_due == 0 ? due : std::min(next_due, due);
      ++it;
    }
  }
  return next_due;
}

std::vector<LedgerEntry> Controller::wallet_history(const User& user, const std::string& name, size_t limit) {
  std::lock_guard lock(mu_);
  Ledger& ledger = ledger_or_throw();
  return ledger.history(wallet_account(wallet_owner(user, name)), limit);
}

// ---- the scheduling loop --------------------------------------------------------------

void Controller::wake_partition(const std::string& name) { poll_cv_[name].notify_all(); }

void Controller::request_pass() {
  dirty_ = true;
  sched_cv_.notify_one();
}

void Controller::scheduling_loop() {
  std::unique_lock lock(mu_);
  int64_t next_wake_us = 0;
  while (!stopping_) {
    // Heartbeats are checked a few times per timeout; begin times and bonds coming back
    // wake us when due.
    auto check_every = std::chrono::microseconds(std::max<int64_t>(options_.heartbeat_timeout_us / 4, 1000));
    auto deadline = std::chrono::steady_clock::now() + check_every;
    if (next_wake_us > 0) {
      auto until_begin = std::chrono::microseconds(std::max<int64_t>(next_wake_us - now_unix_us(), 0));
      deadline = std::min(deadline, std::chrono::steady_clock::now() + until_begin);
    }
    sched_cv_.wait_until(lock, deadline, [this] { return dirty_ || stopping_; });
    // A pass holds the lock over every pending job: with a long queue and a stream of
    // submissions, back-to-back passes would keep the API waiting. Rest as long as the
    // last pass took (at most half the time passing; nothing when passes are short),
    // and let this pass cover whatever arrived meanwhile.
    if (int64_t rest_us = last_pass_end_us_ + last_pass_us_ - monotonic_us(); last_pass_us_ > 1000 && rest_us > 0)
      sched_cv_.wait_for(lock, std::chrono::microseconds(rest_us), [this] { return stopping_; });
    if (stopping_) break;
    dirty_ = false;
    int64_t now_us = now_unix_us();
    int64_t now_mono = monotonic_us();
    int64_t bond_due_us = 0;
    try {
      check_heartbeats(now_mono);
      evaluate_waiting(now_us);
      int64_t pass_start = monotonic_us();
      schedule_pass(now_us);
      last_pass_end_us_ = monotonic_us();
      last_pass_us_ = last_pass_end_us_ - pass_start;
      counters_.pass_seconds.observe(double(last_pass_us_) / 1e6);
      settle_ready(now_us);
      if (ledger_ && !unbonding_.empty()) bond_due_us = release_unbonded(now_us);
      evict_finished(now_us);
    } catch (const std::exception& e) {
      log_error("scheduling_pass_failed", {{"error", e.what()}});
    }
    next_wake_us = bond_due_us;
    for (const auto& [nice, id] : queue_) {
      const Job& j = jobs_.at(id);
      if (j.spec.begin_time > 0 && j.spec.begin_time * 1000000 > now_us &&
          (next_wake_us == 0 || j.spec.begin_time * 1000000 < next_wake_us))
        next_wake_us = j.spec.begin_time * 1000000;
    }
  }
}

std::vector<TargetState> Controller::dependency_targets(const jobscripts::DependencyTarget& t) {
  std::vector<TargetState> out;
  if (t.array_task < 0 && !t.all_tasks) {
    std::optional<Job> stored;
    const Job* job = nullptr;
    if (auto it = jobs_.find(t.job_id); it != jobs_.end()) job = &it->second;
    else if ((stored = store_.load_job(t.job_id))) job = &*stored;
    if (!job) return out;
    // An array's id names the whole array, as in Slurm: every task must qualify.
    if (!job->is_array_task() || job->array_job_id != t.job_id) return {target_state(*job)};
  }
  // Array tasks: the stored rows, with the fresher copies in memory where there are any.
  for (auto& task : store_.load_array_tasks(t.job_id)) {
    if (!t.all_tasks && task.array_task_id != t.array_task) continue;
    auto live = jobs_.find(task.id);
    out.push_back(target_state(live != jobs_.end() ? live->second : task));
  }
  return out;
}

bool Controller::earlier_namesake_unfinished(const Job& dependent) const {
  for (const auto& [id, job] : jobs_) {
    if (id >= dependent.id) break;  // ordered by id: only earlier submissions count
    if (job.user == dependent.user && job.spec.name == dependent.spec.name && !is_finished(job.state))
      return true;
  }
  return false;
}

bool Controller::array_throttled(const Job& job) {
  return job.is_array_task() && job.array_max_running > 0 && job.state == JobState::Pending &&
         array_active_[job.array_job_id] >= job.array_max_running;
}

bool Controller::eligible(Job& job, int64_t now_us) {
  if (job.spec.hold) {
    job.reason = reason::kHeld;
    return false;
  }
  if (job.spec.begin_time > 0 && job.spec.begin_time * 1000000 > now_us) {
    job.reason = reason::kBeginTime;
    return false;
  }
  if (!job.dependency.terms.empty() && job.state == JobState::Pending) {
    DependencyLookup lookup{
        [this](const jobscripts::DependencyTarget& t) { return dependency_targets(t); },
        [this](const Job& dependent) { return earlier_namesake_unfinished(dependent); }};
    switch (evaluate_dependency(job.dependency, job, lookup, now_us)) {
      case DependencyStatus::Satisfied: break;
      case DependencyStatus::Waiting: job.reason = reason::kDependency; return false;
      case DependencyStatus::NeverSatisfied: job.reason = reason::kDependencyNever; return false;
    }
  }
  if (array_throttled(job)) {
    job.reason = "JobArrayTaskLimit";
    return false;
  }
  return true;
}

void Controller::schedule_pass(int64_t now_us) {
  if (queue_.empty()) return;
  for (auto& [name, p] : partitions_) {  // reputations fade toward neutral between events
    p.reputation = reputation_at(p, now_us, options_.reputation);
    if (p.reputation_us != 0) p.reputation_us = now_us;
  }
  uint64_t free_cpus = 0;
  for (const auto& [name, p] : partitions_)
    if (p.state == PartitionState::Up) free_cpus += p.cpus - std::min(p.cpus, p.used_cpus);
  bool any_dependent = false;
  std::vector<PassCandidate> candidates;
  auto add = [&](Job* job) {
    any_dependent = any_dependent || !job->dependency.terms.empty();
    uint32_t needed = needed_replicas(*job);
    if (needed == 0) {
      queue_.erase(queue_key(*job));
      return;
    }
    PassCandidate c{job, needed, nullptr};
    if (auto request = placement_request(*job, needed); !request.exclude.empty() || !request.exclude_operators.empty())
      c.avoid = std::make_unique<PlacementRequest>(std::move(request));
    candidates.push_back(std::move(c));
  };
  if (free_cpus == 0) {
    // Nothing can start: no need to rank; the policy only works out new jobs' reasons.
    std::vector<Job*> ready;
    for (const auto& [nice, id] : queue_)
      if (Job* job = &jobs_.at(id); eligible(*job, now_us)) ready.push_back(job);
    for (Job* job : ready) add(job);
  } else {
    for (const auto& ranked : ranked_ready(now_us, nullptr)) add(ranked.job);
  }
  PassInput input{candidates, partitions_, array_active_, now_us};
  if (options_.placement == "weighted")
    input.draw = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(placement_rng_); };
  PassOutcome outcome = scheduler_->run(input);
  if (outcome.starts.empty()) return;
  // Adaptive replication: a job whose best offer is a trusted provider keeps only what it
  // needs of what the pass gave it; the rest goes back at once.
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  for (auto& start : outcome.starts) {
    uint32_t keep = adaptive_replica_count(*start.job, start.partitions, options_.adaptive, draw(spot_checks_));
    if (keep >= start.partitions.size()) continue;
    for (size_t i = keep; i < start.partitions.size(); ++i) start.partitions[i]->release(start.job->id);
    start.partitions.resize(keep);
    start.job->adaptive_replicas = keep;
    dirty_ = true;  // what was given back may start another job
  }
  auto txn = store_.transaction();
  for (const auto& start : outcome.starts) assign(*start.job, start.partitions, now_us);
  txn.commit();
  // A job that just started can satisfy an after: dependency: look again.
  if (any_dependent) dirty_ = true;
}

void Controller::assign(Job& job, const std::vector<Partition*>& chosen, int64_t now_us) {
  for (Partition* p : chosen) {
    Replica r;
    r.job_id = job.id;
    r.partition = p->name;
    r.state = ReplicaState::Assigned;
    r.price_micros = hourly_rate_micros(*p, job.spec);  // the match price, per hour
    r.start_us = now_us;
    r.id = store_.insert_replica(r);
    active_on_[p->name].insert(r.id);
    job.replicas.push_back(r.id);
    undelivered_[p->name].push_back(r.id);
    Replica& live = replicas_[r.id] = r;
    nlohmann::json context = {{"partition", p->name}, {"price", r.price_micros}};
    if (job.adaptive_replicas > 0) context["adaptive"] = job.adaptive_replicas;
    record(job, &live, EventKind::ReplicaAssigned, "og-schedd", std::move(context), now_us);
    wake_partition(p->name);
  }
  queue_.erase(queue_key(job));
}

void Controller::release(Replica& r) {
  active_on_[r.partition].erase(r.id);
  uploaded_.erase(r.id);
  uploaded_digests_.erase(r.id);
  auto p = partitions_.find(r.partition);
  if (p == partitions_.end()) return;
  p->second.release(r.job_id);
}

bool Controller::add_extra_replica(Job& job) {
  if (replicas_wanted(job) >= options_.max_replicas) return false;
  // Only worth it if some provider that has not run it yet could.
  auto used = partitions_of(job);
  for (uint64_t id : job.replicas) used.insert(replicas_.at(id).partition);
  OfferMatcher offer(job.spec);
  bool someone = std::any_of(partitions_.begin(), partitions_.end(), [&](const auto& entry) {
    const Partition& p = entry.second;
    return !used.count(p.name) && p.state != PartitionState::Down && p.state != PartitionState::Unknown &&
           offer.can_hold(p) && offer.price_ok(p);
  });
  if (!someone) return false;
  if (ledger_) {
    int64_t cost = replica_max_cost_micros(job.spec);
    try {
      if (cost > 0) ledger_->apply(lock_transfer(job, cost, job.extra_replicas + 1));
    } catch (const InsufficientFunds&) {
      return false;  // the requester cannot pay for another opinion
    }
  }
  log_info("extra_replica", {{"job", std::to_string(job.id)}, {"replicas", std::to_string(replicas_wanted(job) + 1)}});
  return true;
}

std::optional<bool> Controller::agreement(uint64_t owner, const JobSpec& spec, const Replica& a, const Replica& b) {
  auto vote = [](const Replica& r) { return ReplicaVote{r.id, r.outcome, r.exit_code, r.root}; };
  if (vote(a).key() == vote(b).key()) return true;
  auto mode = parse_verify_mode(spec.verify);
  if (!mode || !mode->fuzzy || !comparer_ || a.outcome != b.outcome || a.exit_code != b.exit_code) return false;
  auto [it, asked_now] = comparisons_[owner].try_emplace(std::minmax(a.id, b.id));
  if (asked_now) comparer_->compare({owner, a.id, b.id, a.manifest_json, b.manifest_json, mode->rel_tol});
  return it->second;
}

void Controller::comparison_answered(const OutputComparer::Request& request, bool agree) {
  std::lock_guard lock(mu_);
  auto owner = comparisons_.find(request.job_id);
  if (owner == comparisons_.end()) return;  // the job left memory meanwhile
  owner->second[std::minmax(request.a, request.b)] = agree;
  to_evaluate_.insert(request.job_id);
  request_pass();  // the loop evaluates it (and settles what waited)
}

void Controller::set_blob_reader(ReadBlob read) {
  comparer_ = std::make_unique<OutputComparer>(
      std::move(read), [this](const OutputComparer::Request& r, bool agree) { comparison_answered(r, agree); });
}

uint32_t Controller::replicas_wanted(const Job& job) const {
  return (job.adaptive_replicas > 0 ? job.adaptive_replicas : job.spec.replicas) + job.extra_replicas;
}

uint32_t Controller::quorum_needed(const Job& job) const {
  // A trusted provider alone, or it and its spot check together.
  if (job.adaptive_replicas > 0) return job.adaptive_replicas;
  return effective_quorum(job.spec.replicas, job.spec.quorum);
}

uint32_t Controller::needed_replicas(const Job& job) const {
  uint32_t live = 0;
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    // A replica being cancelled (requeue) no longer counts towards the job.
    if ((is_active(r.state) && !r.cancel_requested) || r.state == ReplicaState::Done) ++live;
  }
  uint32_t wanted = replicas_wanted(job);
  return wanted > live ? wanted - live : 0;
}

std::set<std::string> Controller::partitions_of(const Job& job) const {
  std::set<std::string> out;
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    if (is_active(r.state) || r.state == ReplicaState::Done) out.insert(r.partition);
  }
  return out;
}

JobView Controller::view_of(const Job& job) const {
  std::string nodes = nodelist(job);
  return {job, nodes, isolation_of(nodes)};
}

std::string Controller::isolation_of(const std::string& nodelist) const {
  return isolation_of(isolation_levels(), nodelist);
}

std::string Controller::nodelist(const Job& job) const {
  std::string out;
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    if (r.state == ReplicaState::Lost || r.state == ReplicaState::Cancelled) continue;
    if (!out.empty()) out += ',';
    out += r.partition;
  }
  return out;
}

void Controller::evaluate_waiting(int64_t now_us) {
  if (to_evaluate_.empty()) return;
  auto txn = store_.transaction();
  for (uint64_t id : std::exchange(to_evaluate_, {}))
    if (auto it = jobs_.find(id); it != jobs_.end() && !is_finished(it->second.state)) evaluate_quorum(it->second, now_us);
  txn.commit();
}

void Controller::evaluate_quorum(Job& job, int64_t now_us) {
  std::vector<ReplicaVote> votes;
  uint32_t outstanding = 0;
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    if (r.state == ReplicaState::Done) votes.push_back({r.id, r.outcome, r.exit_code, r.root});
    if (is_active(r.state)) ++outstanding;
  }
  outstanding += needed_replicas(job);
  // Every pair compared first: a fuzzy comparison not yet made is made off the lock, and
  // its answer brings the job back here.
  bool waiting = false;
  for (size_t i = 0; i < votes.size(); ++i)
    for (size_t j = i + 1; j < votes.size(); ++j)
      waiting |= !agreement(job.id, job.spec, replicas_.at(votes[i].replica_id), replicas_.at(votes[j].replica_id));
  if (waiting) {
    persist(job);
    return;
  }
  auto verdict = decide_quorum(votes, quorum_needed(job), outstanding, [&](const ReplicaVote& a, const ReplicaVote& b) {
    return *agreement(job.id, job.spec, replicas_.at(a.replica_id), replicas_.at(b.replica_id));
  });
  if (verdict.kind == QuorumVerdict::Kind::Agreed) {
    ++counters_.verdicts["agreed"];
    const auto& c = *verdict.canonical;
    JobState final_state = state_from_outcome(c.outcome, c.exit_code);
    const std::string& refused = replicas_.at(c.replica_id).reason;
    std::string why = !refused.empty()                   ? refused
                      : final_state == JobState::Completed ? std::string(reason::kNone)
                      : final_state == JobState::Timeout ? std::string(reason::kTimeLimit)
                      : final_state == JobState::Failed  ? std::string(reason::kNonZeroExit)
                                                         : std::string(c.outcome);
    record(job, nullptr, EventKind::Verified, "og-schedd",
           {{"lease", c.replica_id}, {"root", c.root}, {"state", to_string(final_state)},
            {"exit_code", c.exit_code}, {"reason", why}},
           now_us);
  } else if (verdict.kind == QuorumVerdict::Kind::NoQuorum) {
    if (add_extra_replica(job)) {
      ++counters_.verdicts["extra_replica"];
      record(job, nullptr, EventKind::ExtraReplica, "og-schedd", {{"replicas", replicas_wanted(job) + 1}}, now_us);
    } else {
      ++counters_.verdicts["no_quorum"];
      record(job, nullptr, EventKind::NoQuorum, "og-schedd", {}, now_us);
    }
  } else {
    persist(job);
  }
}

void Controller::check_heartbeats(int64_t now_mono) {
  int64_t now_us = now_unix_us();
  for (auto& [name, p] : partitions_) {
    if (p.state == PartitionState::Down || now_mono - p.last_seen_us <= options_.heartbeat_timeout_us)
      continue;
    p.state = PartitionState::Down;
    log_warn("partition_down", {{"partition", name},
                                {"silent_ms", std::to_string((now_mono - p.last_seen_us) / 1000)}});
    auto txn = store_.transaction();
    std::set<uint64_t> active = active_on_[name];  // a copy: losing a replica edits the index
    for (uint64_t rid : active) {
      Replica& r = replicas_.at(rid);
      if (r.state == ReplicaState::Assigned) {
        auto& pending = undelivered_[name];
        pending.erase(std::remove(pending.begin(), pending.end(), rid), pending.end());
      }
      replica_stopped(r, EventKind::ReplicaLost, "og-schedd", {{"reason", "heartbeat"}}, now_us);
    }
    txn.commit();
  }
}

void Controller::evict_finished(int64_t now_us) {
  // Once a second is plenty: a finished job lingers min_job_age anyway.
  if (now_us < next_eviction_us_) return;
  next_eviction_us_ = now_us + 1'000'000;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const Job& job = it->second;
    bool old = is_finished(job.state) && job.settled && job.end_us + options_.min_job_age_us < now_us;
    bool replicas_settled = std::none_of(job.replicas.begin(), job.replicas.end(), [&](uint64_t id) {
      return is_active(replicas_.at(id).state);
    });
    if (old && replicas_settled) {
      for (uint64_t id : job.replicas) replicas_.erase(id);
      comparisons_.erase(it->first);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string Controller::metrics_text() {
  std::lock_guard lock(mu_);
  std::string out;
  std::map<std::string, double> by_state;
  for (const auto& [id, job] : jobs_) by_state[std::string(to_string(job.state))] += 1;
  std::vector<std::pair<std::string, double>> samples;
  for (const auto& [state, count] : by_state) samples.push_back({"state=\"" + state + "\"", count});
  write_family(out, "og_jobs", "gauge", "Jobs og-schedd holds in memory, by state.", samples);
  write_family(out, "og_queue_depth", "gauge", "Jobs waiting in the queue.", {{"", double(queue_.size())}});
  samples.clear();
  std::map<std::string, double> partitions;
  for (const auto& [name, p] : partitions_) partitions[std::string(to_string(p.state))] += 1;
  for (const auto& [state, count] : partitions) samples.push_back({"state=\"" + state + "\"", count});
  write_family(out, "og_partitions", "gauge", "Registered partitions (providers), by state.", samples);
  samples.clear();
  const int64_t now_mono = monotonic_us();
  for (const auto& [name, p] : partitions_)
    samples.push_back({"partition=\"" + escape_quoted(name) + "\"", double(now_mono - p.last_seen_us) / 1e6});
  write_family(out, "og_worker_heartbeat_age_seconds", "gauge", "Seconds since each worker last polled.", samples);
  samples.clear();
  for (const auto& [state, count] : counters_.finished) samples.push_back({"state=\"" + state + "\"", double(count)});
  write_family(out, "og_jobs_finished_total", "counter", "Jobs that reached a final state, by state.", samples);
  samples.clear();
  for (const auto& [verdict, count] : counters_.verdicts)
    samples.push_back({"verdict=\"" + verdict + "\"", double(count)});
  write_family(out, "og_verifications_total", "counter",
               "Quorum decisions: agreed, extra_replica (disagreement, one more asked), no_quorum.", samples);
  counters_.start_latency.write(out, "og_job_start_latency_seconds", "Submission to first replica started.");
  counters_.pass_seconds.write(out, "og_scheduling_pass_seconds", "Time one scheduling pass took.");
  if (ledger_) {
    write_family(out, "og_ledger_treasury_micros", "gauge", "Protocol fees held by the treasury, micro-units.",
                 {{"", double(ledger_->balance(kTreasuryAccount))}});
    // The book by kind of account (wallet, escrow, bond, unbonding, treasury, external):
    // double entry, so they add up to zero; external is what came in less what went out.
    std::map<std::string, int64_t> kinds;
    for (const auto& [account, balance] : ledger_->balances()) kinds[account.substr(0, account.find(':'))] += balance;
    samples.clear();
    for (const auto& [kind, total] : kinds) samples.push_back({"kind=\"" + escape_quoted(kind) + "\"", double(total)});
    write_family(out, "og_ledger_balance_micros", "gauge", "Ledger balances summed by kind of account, micro-units.",
                 samples);
  }
  return out;
}

}  // namespace og
