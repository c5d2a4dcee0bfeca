#include "scheduler/escrow.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/money.hpp"
#include "core/verify_mode.hpp"
#include "scheduler/score_verdict.hpp"

namespace og {

namespace {

// The treasury's share of a payment (in 128 bits: a payment near the ceiling times the
// basis points would not fit in 64).
int64_t fee_of(int64_t payment, const EconomicsOptions& options) {
  return static_cast<int64_t>(static_cast<__int128>(payment) * options.fee_bps / 10'000);
}

// kValidatorShareBps of `cost` (rounded up for the lock, down for a payment).
int64_t validator_pay(int64_t cost, bool payment) {
  __int128 share = static_cast<__int128>(cost) * kValidatorShareBps;
  return static_cast<int64_t>(payment ? share / 10'000 : (share + 9'999) / 10'000);
}

}  // namespace

int64_t max_cost_micros(const JobSpec& spec) {
  if (spec.time_limit_s <= 0) return 0;
  int64_t per_hour = checked_amount_sum(
      checked_amount_product(spec.total_cpus(), spec.max_price_micros, "the price of its CPUs (max price x CPUs)"),
      checked_amount_product(spec.gpus, spec.max_gpu_price_micros, "the price of its GPUs (max GPU price x GPUs)"),
      "its hourly price");
  int64_t replicas = checked_amount_product(checked_cost_for_seconds(per_hour, spec.time_limit_s, "its cost for its time limit"),
                                            std::max<int64_t>(spec.replicas, 1),
                                            "its cost (max price x resources x time limit x replicas)");
  auto mode = parse_verify_mode(spec.verify);
  if (!mode || mode->kind != VerifyMode::Kind::Score) return replicas;
  return checked_amount_sum(replicas, validator_pay(checked_amount_product(replicas, int64_t{kMaxValidators}, "its validators' pay"), false),
                            "its cost with its validators' pay");
}

int64_t replica_max_cost_micros(const JobSpec& spec) {
  JobSpec one = spec;
  one.replicas = 1;
  return max_cost_micros(one);
}

Transfer lock_transfer(const Job& job, int64_t amount, uint32_t extra) {
  std::string key = "lock:job:" + std::to_string(job.id);
  if (extra > 0) key += ":extra:" + std::to_string(extra);
  return {key, wallet_account(job.user), escrow_account(job.id), amount,
          (extra > 0 ? "escrow for an extra replica of job " : "escrow for job ") + std::to_string(job.id)};
}

std::vector<Transfer> plan_milestone(const Job& job, uint32_t milestone, const std::vector<SettledReplica>& agreeing,
                                     int64_t now_us, int64_t escrow_left, const EconomicsOptions& options) {
  std::vector<Transfer> out;
  std::string prefix = milestone_key_prefix(job.id, milestone);
  for (const auto& sr : agreeing) {
    const Replica& r = *sr.replica;
    if (!is_active(r.state)) continue;  // paid at the end for what it did, if anything
    int64_t ran_us = std::max<int64_t>(now_us - r.start_us, 0);
    if (job.spec.time_limit_s > 0) ran_us = std::min(ran_us, job.spec.time_limit_s * 1'000'000);
    int64_t due = std::min(cost_for_micros(r.price_micros, ran_us) - sr.prepaid, escrow_left);
    if (due <= 0) continue;
    escrow_left -= due;
    int64_t fee = fee_of(due, options);
    std::string id = std::to_string(r.id);
    std::string what = "milestone " + std::to_string(milestone) + ", job " + std::to_string(job.id) + " replica " + id;
    if (due - fee > 0)
      out.push_back({pay_key(prefix, r.id), escrow_account(job.id), wallet_account(sr.provider), due - fee, what});
    if (fee > 0) out.push_back({fee_key(prefix, r.id), escrow_account(job.id), kTreasuryAccount, fee, "fee, " + what});
  }
  return out;
}

Settlement plan_settlement(const Job& job, const std::vector<SettledReplica>& replicas, int64_t escrow_left,
                           const EconomicsOptions& options, const std::vector<SettledValidator>& validators) {
  Settlement s;
  std::string prefix = settlement_key_prefix(job.id);
  std::string escrow = escrow_account(job.id);
  bool has_result = job.canonical_replica != 0;
  bool cancelled = job.state == JobState::Cancelled;
  std::map<std::string, std::pair<int64_t, int64_t>> bonds;  // provider → (bond, unbonding) left
  for (const auto& sv : validators) bonds.try_emplace(sv.provider, sv.bond, sv.unbonding);
  // A provider's bond pays for a result proven wrong (or scores out of line), as far as it goes.
  auto slash_provider = [&](const std::string& provider, const std::string& id, bool requester_share, int64_t amount) {
    auto& [bond, unbonding] = bonds[provider];
    int64_t slash = std::min(bond + unbonding, amount);
    if (slash > bond) {  // a bond being withdrawn still answers for what it covered
      s.transfers.push_back({prefix + "slash:" + id + ":recall", unbonding_account(provider),
                             bond_account(provider), slash - bond, "recalled for a slash, job " + std::to_string(job.id)});
      unbonding -= slash - bond;
      bond = slash;
    }
    bond -= slash;
    int64_t to_requester = requester_share ? slash / 2 : 0;
    if (to_requester > 0)
      s.transfers.push_back({prefix + "slash:" + id + ":requester", bond_account(provider),
                             wallet_account(job.user), to_requester, "slash, job " + std::to_string(job.id)});
    if (slash - to_requester > 0)
      s.transfers.push_back({prefix + "slash:" + id + ":treasury", bond_account(provider), kTreasuryAccount,
                             slash - to_requester, "slash, job " + std::to_string(job.id)});
    s.slashed.push_back(provider);
  };
  // What the replicas' work cost, paid or not: validators are paid a share of it.
  int64_t replicas_cost = 0;
  std::set<std::string> witnesses;  // established providers whose results are the canonical one
  for (const auto& sr : replicas) {
    bonds.try_emplace(sr.provider, sr.bond, sr.unbonding);
    if (has_result && sr.agrees && sr.established && sr.replica->state == ReplicaState::Done) witnesses.insert(sr.provider);
  }
  s.proven = has_result && witnesses.size() >= options.slash_witnesses;
  const bool proven = s.proven;
  for (const auto& sr : replicas) {
    const Replica& r = *sr.replica;
    std::string id = std::to_string(r.id);
    // What milestones paid stays paid, whatever became of the replica.
    s.cost += sr.prepaid;
    s.fee += sr.prepaid_fee;
    // Work the requester cancelled while it ran is paid for too.
    bool ran = r.state == ReplicaState::Done || (r.state == ReplicaState::Cancelled && r.outcome == "CANCELLED");
    if (!ran) continue;  // lost or never delivered: neither paid nor blamed
    // Its runtime (a minute at least), at most its time limit, at the rate it was matched at.
    int64_t ran_us = std::max<int64_t>(r.end_us - r.start_us, options.min_billed_s * 1'000'000);
    if (job.spec.time_limit_s > 0) ran_us = std::min(ran_us, job.spec.time_limit_s * 1'000'000);
    replicas_cost = checked_amount_sum(replicas_cost, cost_for_micros(r.price_micros, ran_us), "the replicas' cost");
    if ((has_result && sr.agrees) || cancelled || sr.owed) {
      // Less what milestones paid, never more than the escrow still holds.
      int64_t now = std::min(cost_for_micros(r.price_micros, ran_us) - sr.prepaid, escrow_left);
      if (now <= 0) continue;
      escrow_left -= now;
      int64_t fee = fee_of(now, options);
      if (now - fee > 0)
        s.transfers.push_back({pay_key(prefix, r.id), escrow, wallet_account(sr.provider), now - fee,
                               "job " + std::to_string(job.id) + " replica " + id});
      if (fee > 0)
        s.transfers.push_back({fee_key(prefix, r.id), escrow, kTreasuryAccount, fee,
                               "fee, job " + std::to_string(job.id) + " replica " + id});
      s.cost += now;
      s.fee += fee;
      s.paid.push_back(sr.provider);
    } else if (sr.proven_wrong) {
      // What it tried to earn: enough that laziness never pays (og-sim --validators), and
      // no more, since the requester's own script judged it.
      slash_provider(sr.provider, id, false, std::min(cost_for_micros(r.price_micros, ran_us), options.slash_micros));
    } else if (has_result && proven && r.reason.empty() && (r.outcome == "COMPLETED" || r.outcome == "FAILED")) {
      // A result proven wrong (a timeout, running out of memory, a refusal or a disk limit
      // is an error, not a false result).
      slash_provider(sr.provider, id, true, options.slash_micros);
    }
  }
  for (const auto& sv : validators) {
    std::string id = std::to_string(sv.task->id);
    if (sv.out_of_line) {  // twice the pay its scores would have earned
      slash_provider(sv.provider, id, false,
                     std::min(checked_amount_product(validator_pay(replicas_cost, true), 2, "a validator's slash"),
                              options.slash_micros));
      continue;
    }
    if (!sv.in_line) continue;
    int64_t now = std::min(validator_pay(replicas_cost, true), escrow_left);
    if (now <= 0) continue;
    escrow_left -= now;
    int64_t fee = fee_of(now, options);
    if (now - fee > 0)
      s.transfers.push_back({pay_key(prefix, sv.task->id), escrow, wallet_account(sv.provider), now - fee,
                             "job " + std::to_string(job.id) + " validator " + id});
    if (fee > 0)
      s.transfers.push_back({fee_key(prefix, sv.task->id), escrow, kTreasuryAccount, fee,
                             "fee, job " + std::to_string(job.id) + " validator " + id});
    s.cost += now;
    s.fee += fee;
    s.validator_pay += now;
    s.paid.push_back(sv.provider);
  }
  // Whatever the escrow still holds goes back: extra locks included.
  if (escrow_left > 0)
    s.transfers.push_back({prefix + "refund", escrow, wallet_account(job.user), escrow_left,
                           "refund, job " + std::to_string(job.id)});
  return s;
}

}  // namespace og
