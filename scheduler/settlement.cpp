// Settlement (declared in controller.hpp): escrow locked at submission, milestones paid
// as a quorum verifies them, and each finished job's payments, reputation and dispute
// verdict once all its replicas have stopped.
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

void Controller::lock_escrow(const std::vector<Job*>& jobs, bool queue) {
  std::vector<Transfer> locks;
  for (Job* job : jobs)
    if (int64_t cost = max_cost_micros(job->spec); cost > 0) locks.push_back(lock_transfer(*job, cost));
  if (locks.empty()) return;
  try {
    if (queue) ledger_->queue(locks);
    else ledger_->apply(locks);
  } catch (const std::exception& e) {
    // Funds went between the check and the lock (or before a restart), or the escrow would
    // pass the ceiling: these jobs cannot be paid for, so they end without running.
    if (!dynamic_cast<const InsufficientFunds*>(&e) && !dynamic_cast<const AmountTooLarge*>(&e)) throw;
    end_unlocked(jobs);
    log_warn("escrow_lock_failed", {{"error", e.what()}});
  }
}

void Controller::end_unlocked(const std::vector<Job*>& jobs) {
  int64_t now_us = now_unix_us();
  auto txn = begin();
  for (Job* job : jobs)
    if (!ledger_->find(lock_transfer(*job, 1).key) && !is_finished(job->state))
      record(*job, nullptr, EventKind::Cancelled, "og-schedd", {{"reason", reason::kBudget}}, now_us);
  txn.commit();
}

void Controller::end_refused_locks() {
  auto taken = ledger_->take_refused();
  refused_locks_.insert(refused_locks_.end(), taken.begin(), taken.end());
  // Each is locked again as it was made (the wallet may hold it now); where it still cannot
  // be, a pending or running job is cancelled (Budget), and one that already finished is
  // settled from what its escrow holds — said in the log, since its providers go short.
  for (const auto& t : refused_locks_) {
    auto id = escrow_job(t.to);
    auto job = id ? jobs_.find(*id) : jobs_.end();
    if (job == jobs_.end() || t.key != lock_transfer(job->second, 1).key) continue;
    lock_escrow({&job->second});
    if (is_finished(job->second.state) && !ledger_->find(t.key))
      log_error("escrow_never_locked", {{"job", std::to_string(*id)},
                                        {"why", "the ledger refused its lock after the job was accepted"}});
  }
  refused_locks_.clear();  // only once all were dealt with: a failure keeps them for the next pass
}

void Controller::settle_ready(int64_t now_us) {
  for (auto it = unsettled_.begin(); it != unsettled_.end();) {
    auto job = jobs_.find(*it);
    if (job == jobs_.end()) {
      it = unsettled_.erase(it);
      continue;
    }
    auto active = [&](uint64_t id) { return is_active(replicas_.at(id).state); };
    bool running = std::any_of(job->second.replicas.begin(), job->second.replicas.end(), active) ||
                   std::any_of(job->second.validations.begin(), job->second.validations.end(), active);
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

void Controller::rate_by_scores(const ScoreVerdict& verdict, double threshold, const std::vector<SettledReplica>& replicas,
                                const std::vector<SettledValidator>& validators, int64_t now_us) {
  auto rate = [&](const Replica& r, const std::function<void(Partition&)>& change) {
    auto p = partitions_.find(r.partition);
    if (p == partitions_.end()) return;
    change(p->second);
    store_.upsert_partition(p->second);
  };
  for (const auto& sr : replicas) {
    const Replica& r = *sr.replica;
    if (r.state == ReplicaState::Lost) {
      rate(r, [&](Partition& p) { record_reputation(p, ReputationEvent::Error, now_us, options_.reputation); });
    } else if (auto score = verdict.scores.find(r.id); score != verdict.scores.end()) {
      rate(r, [&](Partition& p) {
        record_score(p, score->second, threshold, now_us, options_.reputation);
        // Scores earn no trust to run alone (a sampled result has no twin to check it), and a
        // result proven lazy loses what it had.
        if (sr.proven_wrong) {
          record_reputation(p, ReputationEvent::Invalid, now_us, options_.reputation);
          p.valid_streak = 0;
        }
      });
    }
  }
  for (const auto& sv : validators) {
    const Replica& v = *sv.task;
    if (v.state == ReplicaState::Lost)
      rate(v, [&](Partition& p) { record_reputation(p, ReputationEvent::Error, now_us, options_.reputation); });
    else if (sv.in_line || sv.out_of_line)
      rate(v, [&](Partition& p) {
        record_reputation(p, sv.in_line ? ReputationEvent::Verified : ReputationEvent::Invalid, now_us, options_.reputation);
      });
  }
}

void Controller::rate_by_quorum(const Job& job, const std::vector<SettledReplica>& replicas, bool has_result,
                                bool proven, int64_t now_us) {
  // A result counts as verified only when another provider confirmed it.
  size_t agreeing = std::count_if(replicas.begin(), replicas.end(), [](const SettledReplica& sr) { return sr.agrees; });
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
        if (proven) event = ReputationEvent::Invalid;
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
}

bool Controller::settle(Job& job, int64_t now_us) {
  auto canonical = replicas_.find(job.canonical_replica);
  // Late replicas are checked against the result: each comparison made before any payment.
  bool compared = true;
  for (uint64_t id : job.replicas)
    if (const Replica& r = replicas_.at(id); canonical != replicas_.end() && r.state == ReplicaState::Done)
      compared &= agreement(job.id, job.spec, canonical->second, r).has_value();
  if (!compared) return false;
  // --verify=score: the validators' verdict, as it was decided, says who is paid.
  auto mode = parse_verify_mode(job.spec.verify);
  const bool scored = mode && mode->kind == VerifyMode::Kind::Score && !job.validations.empty();
  ScoreVerdict verdict;  // as the journal recorded it when it was made
  if (scored)
    for (const auto& e : store_.load_events(job.id))
      if (e.kind == EventKind::Verified || e.kind == EventKind::ScoresRejected) verdict = verdict_from_json(e.context);
  std::vector<SettledReplica> replicas;
  auto prepaid = milestone_payments(job);
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    auto p = partitions_.find(r.partition);
    std::string provider = p == partitions_.end() ? r.partition : p->second.owner;
    bool agrees = canonical != replicas_.end() && r.state == ReplicaState::Done &&
                  *agreement(job.id, job.spec, canonical->second, r);
    bool established = p != partitions_.end() && p->second.valid_streak >= options_.economics.established_after;
    if (scored) {  // scores, not witnesses, decide
      agrees = verdict.decided && verdict.scores.count(id) && verdict.scores.at(id) >= mode->threshold;
      established = false;
    }
    replicas.push_back({&r, provider, ledger_ ? ledger_->balance(bond_account(provider)) : 0, agrees,
                        ledger_ ? ledger_->balance(unbonding_account(provider)) : 0, prepaid[id].first,
                        prepaid[id].second, established,
                        verdict.best != 0 && verdict.proven_low.count(id) > 0,
                        scored && job.reason == reason::kValidationFailed && r.state == ReplicaState::Done &&
                            r.outcome == "COMPLETED" && r.exit_code == 0 && r.reason.empty()});
  }
  std::vector<SettledValidator> validators;
  for (uint64_t id : job.validations) {
    const Replica& v = replicas_.at(id);
    auto p = partitions_.find(v.partition);
    std::string provider = p == partitions_.end() ? v.partition : p->second.owner;
    // Paid for the scores it gave unless they were out of line with a verdict (a job
    // cancelled, or never decided, still owes the scores it got).
    bool gave = v.state == ReplicaState::Done && !v.scores.empty();
    bool off = gave && verdict.decided && verdict.out_of_line.count(id) > 0;
    validators.push_back({&v, provider, ledger_ ? ledger_->balance(bond_account(provider)) : 0,
                          ledger_ ? ledger_->balance(unbonding_account(provider)) : 0, gave && !off, off});
  }
  Settlement s = plan_settlement(job, replicas, ledger_ ? ledger_->balance(escrow_account(job.id)) : 0,
                                 options_.economics, validators);
  int64_t validator_pay = 0;
  if (ledger_) {
    if (audit_of_.count(job.id) && !settle_dispute(job, s.proven, now_us)) return false;
    ledger_->apply(s.transfers);
    // What the validators were paid, read back too (their payments' keys name their leases).
    for (const auto& e : ledger_->history(escrow_account(job.id), 100'000)) {
      auto key = parse_payment_key(e.transfer.key);
      if (key && !key->milestone && key->job_id == job.id && e.transfer.from == escrow_account(job.id) &&
          std::find(job.validations.begin(), job.validations.end(), key->replica_id) != job.validations.end())
        validator_pay += e.transfer.amount;
    }
    // What the job cost is what left its escrow other than the refund: read back, so a
    // settlement replayed after a crash reports the same figures.
    s.cost = s.fee = 0;
    for (const auto& e : ledger_->history(escrow_account(job.id), 100'000)) {
      if (e.transfer.from != escrow_account(job.id) || e.transfer.key.ends_with(":refund")) continue;
      s.cost += e.transfer.amount;
      if (e.transfer.to == kTreasuryAccount) s.fee += e.transfer.amount;
    }
  }
  // The providers' reputations follow what the quorum found, or the validators' scores.
  if (scored) rate_by_scores(verdict, mode->threshold, replicas, validators, now_us);
  else rate_by_quorum(job, replicas, canonical != replicas_.end(), s.proven, now_us);
  {
    auto txn = begin();
    record(job, nullptr, EventKind::Settled, "og-schedd",
           {{"cost", s.cost}, {"fee", s.fee}, {"paid", join(s.paid, ",")}, {"validators", validator_pay}}, now_us);
    txn.commit();
  }
  if (ledger_ && (s.cost > 0 || !s.slashed.empty()))
    log_info("job_settled", {{"job", std::to_string(job.id)},
                             {"cost", format_money(s.cost)},
                             {"fee", format_money(s.fee)},
                             {"paid", job.paid_to},
                             {"slashed", join(s.slashed, ",")}});
  return true;
}

}  // namespace og
