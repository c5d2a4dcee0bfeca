// The lease protocol between og-schedd and its workers (the LeaseProtocol interface, lease_protocol.hpp):
// registration, the long poll that is each worker's heartbeat and brings it leases and
// cancels, milestones and completion reports.
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

Secrets Controller::lease_secrets(const User& user, uint64_t lease_id) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  if (r.validates)  // a validator scores outputs; the job's secrets are not its to read
    throw ApiError(Refusal::Forbidden, "forbidden", "lease " + std::to_string(lease_id) + " validates: it gets no secrets");
  return store_.load_secrets(r.job_id);
}

Partition Controller::register_partition(const User& user, Partition proposal) {
  if (user.role != "worker" && user.role != "admin")
    throw ApiError(Refusal::Forbidden, "forbidden", "only worker credentials can register partitions");
  if (proposal.validator && proposal.isolation != "jail")
    throw ApiError(Refusal::Invalid, "validator_not_jailed",
                   "a validator runs requesters' scoring scripts over other providers' outputs in the jail only: "
                   "start og-worker --validator as root (--isolation jail)");
  std::lock_guard lock(mu_);
  auto it = partitions_.find(proposal.name);
  if (it != partitions_.end() && it->second.owner != user.name && user.role != "admin")
    throw ApiError(Refusal::Forbidden, "forbidden", "partition " + proposal.name + " is registered by " +
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
        throw ApiError(Refusal::Unpaid, "bond_required",
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
  p.nodes = proposal.nodes;
  p.cpus = proposal.cpus;
  p.memory_mb = proposal.memory_mb;
  p.gpus = proposal.gpus;
  p.gpu_type = proposal.gpu_type;
  p.price_micros = proposal.price_micros;
  p.features = proposal.features;
  p.isolation = proposal.isolation;
  p.egress = proposal.egress;
  p.registries = proposal.registries;
  p.gpu_price_micros = proposal.gpu_price_micros;
  p.gpu = proposal.gpu;
  p.operator_name = proposal.operator_name;
  p.validator = proposal.validator;
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
    throw ApiError(Refusal::NotFound, "partition_not_found", "partition " + name + " does not exist");
  Partition& p = it->second;
  if (user.role != "admin" && user.name != p.owner)
    throw ApiError(Refusal::Forbidden, "forbidden", "only an admin or the partition's owner can drain it");
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
    throw ApiError(Refusal::NotFound, "partition_not_found",
                   "partition " + name + " is not registered; register it first");
  if (it->second.owner != user.name)
    throw ApiError(Refusal::Forbidden, "forbidden", "partition " + name + " is registered by another worker");
  // Two og-worker processes must not serve one partition: each would write off the
  // other's leases. The latest registration wins; after our own restart (instance 0)
  // the first worker to poll is adopted.
  if (it->second.instance == 0) it->second.instance = instance;
  if (instance != 0 && instance != it->second.instance)
    throw ApiError(Refusal::Conflict, "superseded",
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
      auto txn = begin();
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
    for (uint64_t rid : pending) {
      auto r = replicas_.find(rid);
      if (r == replicas_.end() || r->second.state != ReplicaState::Assigned) continue;
      Job& job = jobs_.at(r->second.job_id);
      delivered(job, r->second, name, now_us);
      r->second.delivered_seq = seq;
      Lease lease{r->second, job, {}};
      if (r->second.validates)
        for (uint64_t id : scored_replicas(job)) lease.scored.emplace_back(id, replicas_.at(id).root);
      result.leases.push_back(std::move(lease));
    }
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
    throw ApiError(Refusal::NotFound, "lease_not_found", "lease " + std::to_string(lease_id) + " is not known");
  Replica& r = it->second;
  auto p = partitions_.find(r.partition);
  if (p == partitions_.end() || p->second.owner != user.name)
    throw ApiError(Refusal::Forbidden, "forbidden", "lease " + std::to_string(lease_id) + " is not held by " + user.name);
  if (!is_active(r.state))
    throw ApiError(Refusal::Conflict, "lease_inactive",
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
    auto txn = begin();
    record(job, nullptr, EventKind::MilestoneVerified, "og-schedd", {{"milestone", index}, {"sha256", digest}},
           now_unix_us());
    store_.set_checkpoint(job.id, index, digest);
    txn.commit();
  }
  if (ledger_ && !job.paid_milestones.count(index)) pay_milestone(job, index, agreeing);
  return index == job.checkpoint_milestone;
}

void Controller::note_cached(const User& user, const std::string& partition, std::set<std::string> digests) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(partition);
  if (it != partitions_.end() && it->second.owner == user.name) it->second.cached = std::move(digests);
}

void Controller::complete(const User& user, uint64_t lease_id, const CompletionReport& report) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  int64_t now_us = now_unix_us();
  auto txn = begin();
  if (r.validates && !r.cancel_requested && has_outputs(report.outcome)) {
    complete_validation(r, report, now_us);
  } else if (r.cancel_requested && !report.manifest_json.empty()) {
    // Stopped as we asked, after it worked (and was paid) for a while: what it wrote so far
    // is kept, for its owner to fetch unverified (no quorum ever looks at it).
    r.manifest_json = report.manifest_json;
    record(jobs_.at(r.job_id), &r, EventKind::ReplicaCancelled, r.partition,
           {{"root", report.root}}, now_us);
  } else if (r.cancel_requested || !has_outputs(report.outcome)) {
    // Cancelled as we asked; else given back by its provider, and run elsewhere (an older
    // og-worker says CANCELLED for both).
    std::string why = report.handback_reason.empty() ? "stopped by its provider" : report.handback_reason;
    replica_stopped(r, EventKind::ReplicaHandedBack, r.partition, {{"reason", why}}, now_us);
  } else {
    Job& job = jobs_.at(r.job_id);
    nlohmann::json reported = {
        {"outcome", to_string(report.outcome)}, {"exit_code", report.exit_code}, {"root", report.root}};
    if (!report.reason.empty()) reported["reason"] = report.reason;
    if (report.pull_ms > 0) reported["pull_ms"] = report.pull_ms;
    r.manifest_json = report.manifest_json;  // named by its root in the event
    record(job, &r, EventKind::ReplicaReported, r.partition, std::move(reported), now_us);
    if (!is_finished(job.state)) evaluate_quorum(job, now_us);
  }
  txn.commit();
}

}  // namespace og
