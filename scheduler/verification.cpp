// Verification (declared in controller.hpp): the quorum over the replicas' reports, an
// extra replica when they disagree, and --verify=fuzzy comparisons, made off the lock by
// the OutputComparer and posted back to the job that waits for them.
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

JobState state_from_outcome(const std::string& outcome, int exit_code) {
  if (outcome == "COMPLETED") return exit_code == 0 ? JobState::Completed : JobState::Failed;
  if (outcome == "TIMEOUT") return JobState::Timeout;
  if (outcome == "OUT_OF_MEMORY") return JobState::OutOfMemory;
  return JobState::Failed;
}

}  // namespace

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
  if (!mode || !mode->compares_contents() || !comparer_ || a.outcome != b.outcome || a.exit_code != b.exit_code) return false;
  auto [it, asked_now] = comparisons_[owner].try_emplace(std::minmax(a.id, b.id));
  if (asked_now) comparer_->compare({owner, a.id, b.id, a.manifest_json, b.manifest_json, *mode});
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
  auto comparer = std::make_unique<OutputComparer>(
      std::move(read), [this](const OutputComparer::Request& r, bool agree) { comparison_answered(r, agree); });
  {
    std::lock_guard lock(mu_);
    std::swap(comparer_, comparer);
  }
  // A replaced comparer (none when set before start()) stops here, outside the lock: an
  // answer it is posting takes it.
}

void Controller::evaluate_waiting(int64_t now_us) {
  // One transaction per job: a failure keeps it waiting for the next pass, and costs no
  // other job its verdict.
  // Jobs waiting for validators: one may have come (or become free), a task may be overdue.
  to_evaluate_.insert(validating_.begin(), validating_.end());
  for (uint64_t id : std::exchange(to_evaluate_, {})) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || is_finished(it->second.state)) {
      validating_.erase(id);
      continue;
    }
    try {
      auto txn = begin();
      evaluate_quorum(it->second, now_us);
      txn.commit();
    } catch (const std::exception& e) {
      log_error("verdict_failed", {{"job", std::to_string(id)}, {"error", e.what()}});
      to_evaluate_.insert(id);
    }
  }
}

void Controller::evaluate_quorum(Job& job, int64_t now_us) {
  if (auto mode = parse_verify_mode(job.spec.verify); mode && mode->kind == VerifyMode::Kind::Score &&
                                                      evaluate_scores(job, now_us))
    return;
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

}  // namespace og
