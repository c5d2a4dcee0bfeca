// The scheduling loop (declared in controller.hpp): one thread that wakes when something
// changed, checks heartbeats, evaluates verdicts that waited for a comparison, runs a
// scheduling pass (eligibility, priority, placement, backfill), settles what finished and
// forgets what is old.
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
      write_deferred_now();
      if (ledger_) end_refused_locks();
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
  const bool every_task = t.all_tasks || t.array_task < 0;  // 75_* or the array's own id, 75
  for (auto& task : store_.load_array_tasks(t.job_id)) {
    if (!every_task && task.array_task_id != t.array_task) continue;
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
  std::vector<Job*> resolved;  // eligible now, with a dependency: it was satisfied
  auto add = [&](Job* job) {
    if (!job->dependency.terms.empty()) resolved.push_back(job);
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
  if (!resolved.empty()) {
    auto txn = begin();
    for (Job* job : resolved)
      record(*job, nullptr, EventKind::DependencyResolved, "og-schedd", {{"dependency", job->spec.dependency}}, now_us);
    txn.commit();
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
  auto txn = begin();
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
    auto held = p->allocations.find(job.id);
    if (held != p->allocations.end()) r.gpu_mask = held->second.gpu_mask;
    r.price_micros = hourly_rate_micros(*p, job.spec, r.gpu_mask);  // the match price, per hour
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

void Controller::check_heartbeats(int64_t now_mono) {
  int64_t now_us = now_unix_us();
  for (auto& [name, p] : partitions_) {
    if (p.state == PartitionState::Down || now_mono - p.last_seen_us <= options_.heartbeat_timeout_us)
      continue;
    p.state = PartitionState::Down;
    log_warn("partition_down", {{"partition", name},
                                {"silent_ms", std::to_string((now_mono - p.last_seen_us) / 1000)}});
    auto txn = begin();
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
    auto active = [&](uint64_t id) { return is_active(replicas_.at(id).state); };
    bool replicas_settled = std::none_of(job.replicas.begin(), job.replicas.end(), active) &&
                            std::none_of(job.validations.begin(), job.validations.end(), active);
    if (old && replicas_settled) {
      for (uint64_t id : job.replicas) replicas_.erase(id);
      for (uint64_t id : job.validations) replicas_.erase(id);
      comparisons_.erase(it->first);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace og
