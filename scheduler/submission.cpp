// Submission and what a job's owner may do to it (Controller::submit, test_only,
// cancel_job, set_hold, requeue_job, update_job: the Submissions interface, submissions.hpp). The costly
// check — the signature — is made before the lock; the job and the first event of its
// journal are committed together.
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

std::vector<uint64_t> Controller::submit(const User& user, JobSpec spec, const Secrets& secrets, uint64_t audit_of) {
  check_signature(user, spec);  // the costly part, before the lock
  check_signer(user, spec);
  if (std::set<std::string>(spec.secrets.begin(), spec.secrets.end()).size() != spec.secrets.size() ||
      secrets.size() != spec.secrets.size() ||
      !std::all_of(spec.secrets.begin(), spec.secrets.end(), [&](const std::string& n) { return secrets.count(n); }))
    throw ApiError(Refusal::Invalid, "invalid_secrets", "\"secrets\" must hold one value for each name in the job's \"secrets\"");
  jobscripts::DependencySpec dependency;
  if (!spec.dependency.empty()) {
    try {
      dependency = jobscripts::parse_dependency(spec.dependency);
    } catch (const std::exception& e) {
      throw ApiError(Refusal::Invalid, "invalid_spec", e.what());
    }
  }
  if (spec.time_limit_s == kTimeUnset) spec.time_limit_s = options_.default_time_limit_s;
  if (ledger_) {
    // What the job may cost must be known to lock it: its prices default to og-schedd's.
    if (spec.time_limit_s <= 0)
      throw ApiError(Refusal::Invalid, "unbounded_cost",
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
      throw ApiError(Refusal::Invalid, "invalid_spec", std::string("array: ") + e.what());
    }
  }
  int64_t now_us = now_unix_us();
  std::vector<uint64_t> ids;
  std::lock_guard lock(mu_);
  if (stopping_) throw ApiError(Refusal::Unavailable, "shutting_down", "og-schedd is shutting down; retry");
  if (!spec.bundle_sha256.empty() && !store_.owns_bundle(user.name, spec.bundle_sha256))
    throw ApiError(Refusal::Invalid, "bundle_missing",
                   "no bundle " + spec.bundle_sha256 + " was uploaded by " + user.name + ": upload it first");
  check_partitions_exist(spec);  // as sbatch refuses a partition name it does not know
  // As sbatch does, refuse a dependency on a job that does not exist.
  for (const auto& term : dependency.terms)
    for (const auto& target : term.targets)
      if (dependency_targets(target).empty())
        throw ApiError(Refusal::Invalid, "invalid_dependency",
                       "--dependency names job " + std::to_string(target.job_id) +
                           (target.array_task >= 0 ? "_" + std::to_string(target.array_task) : "") +
                           ", which does not exist");
  check_result_data(user, spec, dependency);
  int64_t each = 0, count = tasks.empty() ? 1 : int64_t(tasks.size()), all = 0;
  if (ledger_) {
    try {
      each = max_cost_micros(spec);
      all = checked_amount_product(each, count, "its cost for all array tasks");
    } catch (const AmountTooLarge& e) {
      throw ApiError(Refusal::Invalid, "cost_too_large", std::string("the job cannot be paid for: ") + e.what() +
                                                 "; lower --max-price, --time, --replicas or the resources asked");
    }
  }
  // As sbatch refuses a job no node could ever run (before asking for the money).
  if (std::string why = why_none_can_hold(spec, partitions_); !why.empty())
    throw ApiError(Refusal::Invalid, "unsatisfiable", why);
  if (ledger_) {
    int64_t have = ledger_->balance(wallet_account(user.name));
    if (each > 0 && have < all)
      throw ApiError(Refusal::Unpaid, "insufficient_funds",
                     "the job may cost up to " + format_money(all) +
                         " (max price x resources x time limit x replicas" + (count > 1 ? " x tasks" : "") +
                         "), which is locked in escrow at submission, but your wallet holds " + format_money(have) +
                         ": add funds with og-wallet deposit, or lower --time, --max-price or --replicas");
  }
  auto txn = begin();
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
      auto live = jobs_.find(audit_of);  // its journal goes on where the job is
      Job stored = live == jobs_.end() ? any_job(audit_of) : Job{};
      journal(live == jobs_.end() ? stored : live->second, EventKind::Disputed, user.name, {{"audit", job.id}}, now_us);
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
  // The escrow lock is queued (what the wallet holds counts it at once) and written by the
  // ledger's writer, in one transaction with the locks queued beside it; the job's row is
  // its durable record (load_state locks it again if a crash lost the queue).
  if (ledger_) lock_escrow(live, /*queue=*/true);
  // A held job waits for its release (which asks for a pass): nothing to schedule yet.
  if (std::any_of(live.begin(), live.end(), [](const Job* job) { return !job->spec.hold; })) request_pass();
  log_info("job_submitted", {{"job", std::to_string(ids.front())},
                             {"user", user.name},
                             {"tasks", std::to_string(ids.size())}});
  return ids;
}

void Controller::check_signature(const User& user, const JobSpec& spec) {
  if (spec.signature.empty() && spec.signer.empty()) {
    if (!options_.require_signed) return;
    throw ApiError(Refusal::Invalid, "unsigned_job",
                   "og-schedd accepts signed jobs only: submit with og-sbatch, which signs with your key "
                   "(created on first use), or start og-schedd with --allow-unsigned");
  }
  if (auto problem = job_signature_problem(user.name, spec); !problem.empty())
    throw ApiError(Refusal::Invalid, std::string(reason::kBadSignature), problem);
}

void Controller::check_signer(const User& user, const JobSpec& spec) {
  if (spec.signer.empty()) return;  // unsigned, and allowed (check_signature said so)
  const std::string key = credentials_.public_key(user.name);
  if (key.empty())
    throw ApiError(Refusal::Invalid, std::string(reason::kBadSignature),
                   "no signing key is registered for " + user.name + ": register yours with og-keygen --register");
  if (spec.signer != key)
    throw ApiError(Refusal::Invalid, std::string(reason::kBadSignature),
                   "the job is signed with a key that is not " + user.name + "'s registered key");
}

void Controller::check_partitions_exist(const JobSpec& spec) const {
  for (const auto& name : split_list(spec.partition)) {
    if (partitions_.count(name)) continue;  // known, even if DOWN, as sbatch takes it
    std::vector<std::string> known;
    for (const auto& [each, p] : partitions_)
      if (known.size() < 10) known.push_back(each);
    throw ApiError(Refusal::Invalid, "invalid_partition",
                   "no partition named \"" + name + "\": " +
                       (known.empty() ? std::string("no provider has offered one yet")
                                      : "there are " + join(known, ", ") + (partitions_.size() > known.size() ? ", …" : "")) +
                       " (og-sinfo lists them; leave -p out to run on any)");
  }
}

TestOnlyResult Controller::test_only(const User& user, JobSpec spec) {
  std::lock_guard lock(mu_);
  check_partitions_exist(spec);
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
  result.why = why_none_can_hold(spec, partitions_);
  if (result.why.empty() && placed.reason == "PriceTooLow") {
    // What it would take: the cheapest offer that could hold it, against the job's maximum.
    OfferMatcher offer(spec);
    const Partition* cheapest = nullptr;
    for (const auto& [name, p] : partitions_)
      if (offer.can_hold(p) && (!cheapest || p.price_micros < cheapest->price_micros)) cheapest = &p;
    if (cheapest)
      result.why = "the cheapest partition that could hold it, " + cheapest->name + ", asks " +
                   format_money(cheapest->price_micros) + " per CPU-hour" +
                   (spec.gpus ? " and " + format_money(cheapest->gpu_price_micros) + " per GPU-hour" : std::string()) +
                   "; the job's maximum is " + format_money(spec.max_price_micros) +
                   (spec.gpus ? " and " + format_money(spec.max_gpu_price_micros) : std::string()) +
                   " (--max-price, --max-gpu-price)";
  }
  auto plan = plan_starts(&probe);
  if (auto it = plan.find(kProbeJobId); it != plan.end()) result.estimate = it->second;
  return result;
}

JobView Controller::cancel_job(const User& user, uint64_t id) {
  std::lock_guard lock(mu_);
  Job& job = job_or_throw(id);
  check_owner(user, job);
  if (is_finished(job.state))
    throw ApiError(Refusal::Conflict, "job_finished", "job " + std::to_string(id) + " has already finished (" +
                                            std::string(to_string(job.state)) + ")");
  int64_t now_us = now_unix_us();
  auto txn = begin();
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
    throw ApiError(Refusal::Conflict, "not_pending", "job " + std::to_string(id) + " is " +
                                           std::string(to_string(job.state)) +
                                           "; only pending jobs can be held or released");
  if (job.spec.hold != hold) {
    auto txn = begin();
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
    throw ApiError(Refusal::Conflict, "not_running", "job " + std::to_string(id) + " is " +
                                           std::string(to_string(job.state)) + "; only running jobs can be requeued");
  for (uint64_t rid : job.replicas)
    if (replicas_.at(rid).state == ReplicaState::Done)
      throw ApiError(Refusal::Conflict, "has_results", "job " + std::to_string(id) +
                                             " already has reported results; cancel it instead");
  int64_t now_us = now_unix_us();
  auto txn = begin();
  stop_replicas(job, now_us, /*keep_running=*/false);
  record(job, nullptr, EventKind::Requeued, user.name, {{"to_pending", true}}, now_us);
  txn.commit();
  log_info("job_requeued", {{"job", std::to_string(id)}, {"by", user.name}});
  return view_of(job);
}

std::optional<Transfer> Controller::escrow_change_for(const Job& job, const JobSpec& wanted) {
  int64_t needed = 0;
  try {
    needed = max_cost_micros(wanted);
  } catch (const AmountTooLarge& e) {
    throw ApiError(Refusal::Invalid, "invalid_field", std::string("that MaxPrice makes ") + e.what());
  }
  const std::string escrow = escrow_account(job.id);
  int64_t held = ledger_->balance(escrow);
  // Keyed by the update's place in the job's journal: applied once, whatever is retried.
  std::string key = "update:job:" + std::to_string(job.id) + ":" + std::to_string(job.journal_seq + 1);
  std::string id = std::to_string(job.id);
  if (needed > held) {
    int64_t more = needed - held, balance = ledger_->balance(wallet_account(job.user));
    if (balance < more)
      throw ApiError(Refusal::Unpaid, "insufficient_funds",
                     "that MaxPrice may cost up to " + format_money(needed) + ", " + format_money(more) + " more than job " + id +
                         "'s escrow holds, and " + job.user + "'s wallet holds " + format_money(balance) + ": og-wallet deposit " +
                         format_money(more - balance) + ", or ask a lower MaxPrice");
    return Transfer{key, wallet_account(job.user), escrow, more, "escrow raised with job " + id + "'s MaxPrice"};
  }
  // ":refund": not part of what the job cost (settlement reads costs back from the escrow).
  if (needed < held) return Transfer{key + ":refund", escrow, wallet_account(job.user), held - needed,
                                     "escrow returned with job " + id + "'s lower MaxPrice"};
  return std::nullopt;
}

JobView Controller::update_job(const User& user, uint64_t id, const JobUpdate& update) {
  std::lock_guard lock(mu_);
  Job& job = job_or_throw(id);
  check_owner(user, job);
  if (job.state != JobState::Pending)
    throw ApiError(Refusal::Conflict, "not_pending", "job " + std::to_string(id) + " is " +
                                           std::string(to_string(job.state)) + "; only pending jobs can be updated");
  if (update.nice && *update.nice < 0 && user.role != "admin")
    throw ApiError(Refusal::Forbidden, "forbidden", "only an admin may give a job a negative nice value");
  if (update.time_limit_s && (*update.time_limit_s == 0 || *update.time_limit_s < kTimeUnlimited))
    throw ApiError(Refusal::Invalid, "invalid_field", "the time limit must be positive or UNLIMITED");
  // The job as the update would leave it: its escrow is checked against all of it at once.
  JobSpec wanted = job.spec;
  if (update.time_limit_s) wanted.time_limit_s = *update.time_limit_s;
  if (update.partition) wanted.partition = *update.partition;
  int64_t max_price = 0;
  if (update.max_price_micros) {
    wanted.max_price_micros = max_price = *update.max_price_micros;
    if (ledger_ && max_price == 0) wanted.max_price_micros = max_price = options_.economics.default_max_price_micros;
  }
  // As in Slurm, only an admin may raise a time limit; and where payments are on, never
  // past what the job's escrow holds (locked for the limit it was submitted with) unless a
  // new MaxPrice in the same update moves the escrow.
  auto longer = [](int64_t a, int64_t b) { return a == kTimeUnlimited ? b != kTimeUnlimited : b != kTimeUnlimited && a > b; };
  if (update.time_limit_s && longer(*update.time_limit_s, job.spec.time_limit_s)) {
    if (user.role != "admin")
      throw ApiError(Refusal::Forbidden, "forbidden", "only an admin may raise a job's time limit, as in Slurm (a lower one you may set)");
    if (ledger_ && wanted.time_limit_s == kTimeUnlimited)
      throw ApiError(Refusal::Conflict, "escrow_locked",
                     "job " + std::to_string(id) + "'s escrow holds " + format_money(ledger_->balance(escrow_account(id))) +
                         ", and no escrow covers an unlimited run: cancel and resubmit it with the limit it needs");
    if (ledger_ && !update.max_price_micros) {
      int64_t held = ledger_->balance(escrow_account(id)), needed = -1;
      try {
        needed = max_cost_micros(wanted);
      } catch (const AmountTooLarge&) {
      }
      if (needed < 0 || needed > held)
        throw ApiError(Refusal::Conflict, "escrow_locked",
                       "job " + std::to_string(id) + "'s escrow holds " + format_money(held) + ", less than the " +
                           (needed < 0 ? std::string("most") : format_money(needed)) +
                           " a longer limit may cost: raise its MaxPrice in the same update to top it up, or "
                           "cancel and resubmit it with the limit it needs");
    }
  }
  if (update.partition) check_partitions_exist(wanted);  // as at submission: a name no provider offers is refused
  // A new MaxPrice moves the escrow with it: what a dearer offer may cost is locked from the
  // wallet now (refused if it does not hold it), what a cheaper cap frees is returned —
  // unless the job ran before (requeued): its escrow still owes that run, so it only rises.
  std::optional<Transfer> escrow_change;
  if (update.max_price_micros && ledger_) {
    escrow_change = escrow_change_for(job, wanted);
    if (escrow_change && escrow_change->to == wallet_account(job.user) && !job.replicas.empty())
      throw ApiError(Refusal::Conflict, "escrow_owed",
                     "job " + std::to_string(id) + " ran before it was requeued, and its escrow still pays for that run: "
                     "its MaxPrice may be raised, not lowered");
  }
  nlohmann::json changed = nlohmann::json::object();
  if (update.max_price_micros) changed["max_price"] = max_price;
  if (update.partition) changed["partition"] = *update.partition;
  if (update.time_limit_s) changed["time_limit_s"] = *update.time_limit_s;
  if (update.nice) changed["nice"] = *update.nice;
  queue_.erase(queue_key(job));  // keyed by nice
  const Job before = job;
  try {
    auto txn = begin();
    record(job, nullptr, EventKind::Updated, user.name, changed, now_unix_us());
    // The ledger is a book of its own: moved before the commit, so that a refusal there
    // undoes the update (memory too, below). A crash between the two leaves the escrow
    // moved and the update unmade: a raise then comes back at settlement.
    if (escrow_change) ledger_->apply({*escrow_change});
    txn.commit();
  } catch (...) {
    job = before;
    queue_.insert(queue_key(job));
    throw;
  }
  queue_.insert(queue_key(job));
  return view_of(job);
}

}  // namespace og
