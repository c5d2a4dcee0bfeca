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

ApiError job_not_found(uint64_t id) {
  return ApiError(Refusal::NotFound, "job_not_found", "job " + std::to_string(id) + " does not exist");
}

Controller::Controller(ControllerOptions options)
    : options_(std::move(options)),
      store_(options_.database_path, options_.synchronous_full),
      credentials_(options_.database_path, options_.synchronous_full),
      reader_(options_.database_path, options_.synchronous_full),
      fairshare_(options_.priority.usage_half_life_s),
      priority_(std::make_unique<MultifactorPriority>(options_.priority, fairshare_)),
      scheduler_(make_scheduler(options_.scheduler)) {
  if (options_.evm_ledger && !options_.ledger_path.empty()) {
    auto evm = std::make_unique<EvmLedger>(options_.ledger_path, *options_.evm_ledger, options_.synchronous_full);
    evm_ = evm.get();
    ledger_ = std::make_unique<GroupCommitLedger>(std::move(evm));
  } else if (!options_.ledger_path.empty()) {
    ledger_ = std::make_unique<GroupCommitLedger>(
        std::make_unique<EmbeddedLedger>(options_.ledger_path, options_.synchronous_full));
  }
  if (ledger_)
    ledger_->on_refusal([this] {  // the pass ends the jobs whose lock the ledger refused
      std::lock_guard lock(mu_);
      request_pass();
    });
  load_state();
}

Controller::~Controller() {
  stop();
  ledger_.reset();  // its writer thread is joined while the state lock it may call for still exists
}

void Controller::start() {
  sched_thread_ = std::thread([this] { scheduling_loop(); });
  if (evm_) evm_->start();
}

void Controller::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    try {
      write_deferred_now();
    } catch (const std::exception&) {  // what cannot be written now is a delivery, offered again after a restart
    }
    for (auto& [name, cv] : poll_cv_) cv.notify_all();
    job_finished_cv_.notify_all();
  }
  sched_cv_.notify_all();
  if (sched_thread_.joinable()) sched_thread_.join();
  if (comparer_) comparer_->stop();  // outside the lock: an answer being posted takes it
  if (evm_) evm_->stop();  // what is not on chain yet stays in the outbox for the next start
}

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
    (r.validates ? job->second.validations : job->second.replicas).push_back(r.id);
    if (is_active(r.state)) {
      active_on_[r.partition].insert(r.id);
      auto p = partitions_.find(r.partition);
      if (p != partitions_.end()) {
        Allocation held = allocation_for(p->second, job->second.spec, r.start_us);
        held.gpu_mask = r.gpu_mask;  // the GPUs it was given, not those free now
        if (held.gpu_mask & p->second.used_gpu_mask) {
          log_error("gpus_held_twice", {{"partition", r.partition}, {"replica", std::to_string(r.id)}});
          held.gpu_mask &= ~p->second.used_gpu_mask;
          r.gpu_mask = held.gpu_mask;  // its worker, given fewer GPUs than it needs, hands it back
        }
        p->second.allocate(r.job_id, held);
      }
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
  // A crash between committing a submission and writing its escrow lock (queued, written
  // in groups): lock it now, for a job that finished meanwhile too, before it is settled
  // (a lock already made is not made twice).
  if (ledger_) {
    for (Job* job : unfinished) lock_escrow({job});  // one user's empty wallet is no one else's problem
    for (uint64_t id : unsettled_) lock_escrow({&jobs_.at(id)});
    for (const auto& [account, balance] : ledger_->balances())
      if (account.rfind("unbonding:", 0) == 0 && balance > 0) unbonding_.insert(account.substr(10));
  }
  dirty_ = true;
  log_info("state_loaded", {{"jobs", std::to_string(jobs_.size())},
                            {"replicas", std::to_string(replicas_.size())},
                            {"partitions", std::to_string(partitions_.size())}});
}

Job& Controller::job_or_throw(uint64_t id) {
  auto it = jobs_.find(id);
  if (it != jobs_.end()) return it->second;
  if (store_.load_job(id))
    throw ApiError(Refusal::Conflict, "job_finished", "job " + std::to_string(id) + " has already finished");
  throw job_not_found(id);
}

void Controller::check_owner(const User& user, const Job& job) const {
  if (user.role != "admin" && user.name != job.user)
    throw ApiError(Refusal::Forbidden, "forbidden",
                   "job " + std::to_string(job.id) + " belongs to " + job.user + ", not " + user.name);
}

Job Controller::any_job(uint64_t job_id) {
  if (auto it = jobs_.find(job_id); it != jobs_.end()) return it->second;
  if (auto stored = store_.load_job(job_id)) return std::move(*stored);
  throw job_not_found(job_id);
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
  std::map<std::string, std::string> levels;  // of these partitions only: views are made often
  for (const auto& name : split_list(nodelist))
    if (auto p = partitions_.find(name); p != partitions_.end()) levels[name] = p->second.isolation;
  return isolation_of(levels, nodelist);
}

std::string Controller::nodelist(const Job& job) const {
  // Where its result came from; for a job cancelled while it ran, where it ran, as Slurm
  // keeps a cancelled job's NodeList.
  const bool where_it_ran = job.state == JobState::Cancelled;
  std::string out;
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    if (r.state == ReplicaState::Lost || (r.state == ReplicaState::Cancelled && !where_it_ran)) continue;
    if (!out.empty()) out += ',';
    out += r.partition;
  }
  return out;
}

std::string Controller::state_metrics() {
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
  return out;
}

std::string Controller::metrics_text() {
  std::string out = state_metrics();
  if (ledger_) {  // read after the state lock is let go: the ledger has its own
    write_family(out, "og_ledger_treasury_micros", "gauge", "Protocol fees held by the treasury, micro-units.",
                 {{"", double(ledger_->balance(kTreasuryAccount))}});
    // The book by kind of account (wallet, escrow, bond, unbonding, treasury, external):
    // double entry, so they add up to zero; external is what came in less what went out.
    std::map<std::string, int64_t> kinds;
    for (const auto& [account, balance] : ledger_->balances()) kinds[account.substr(0, account.find(':'))] += balance;
    std::vector<std::pair<std::string, double>> samples;
    for (const auto& [kind, total] : kinds) samples.push_back({"kind=\"" + escape_quoted(kind) + "\"", double(total)});
    write_family(out, "og_ledger_balance_micros", "gauge", "Ledger balances summed by kind of account, micro-units.",
                 samples);
  }
  return out;
}

}  // namespace og
