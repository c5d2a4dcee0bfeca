// The economics of one job, as transfers on the Ledger (chain/ledger.hpp):
//   lock    at submission, the most the job can cost — every replica for its whole time
//           limit at its maximum prices — moves from the requester's wallet to the job's
//           escrow; a requester who cannot cover it cannot submit.
//   settle  once the job has ended and no replica runs: each replica whose result agrees
//           with the canonical one is paid its runtime at its match price (the hourly
//           rate recorded on it; a minute at least), of which fee_bps go to the treasury; a replica proven
//           wrong — the canonical result confirmed by `slash_witnesses` established
//           providers — loses up to `slash` of its provider's bond, half to the
//           requester and half to the treasury (outvoted without such proof: unpaid only); whatever the escrow still holds goes back
//           to the requester. A job the requester cancelled pays for the work that ran;
//           a job without quorum (or lost to failures) pays no one.
//   validators (--verify=score): each validator whose scores stand is paid
//           kValidatorShareBps of what the job's replicas cost (their runtime at their
//           prices, paid or not); one out of line is paid nothing and slashed twice that
//           pay; a replica proven lazy (below the threshold on two validators' word, on a
//           job that accepted another) is slashed what it would have been paid. Slashes
//           proven by scores go to the treasury whole: the requester's own scoring script
//           judged them, and must not profit from it (nor can a script that fails every
//           replica slash any). A job no validator could score pays its completed
//           replicas. The lock at submission holds room for kMaxValidators.
// Every transfer's key names (job, replica, event), so a settlement retried after a
// crash moves nothing twice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/ledger.hpp"
#include "chain/payment_keys.hpp"
#include "scheduler/model.hpp"

namespace og {

struct EconomicsOptions {
  int64_t fee_bps = 100;                           // 1 % of every payment
  int64_t default_max_price_micros = 100'000;      // per CPU-hour, for jobs that name none
  int64_t default_max_gpu_price_micros = 2'000'000;  // per GPU-hour
  int64_t min_bond_micros = 10'000'000;            // a provider's bond to register
  int64_t slash_micros = 10'000'000;               // taken from a provider proven wrong
  // A replica that ran is billed at least this long (within its time limit), as clouds
  // bill a first minute: staging a job costs a provider something however short it is.
  int64_t min_billed_s = 60;
  int64_t unbond_delay_s = 7 * 86400;  // a withdrawn bond stays slashable this long
  // A slash needs proof, not a vote: the canonical result confirmed by this many
  // established providers (each its own credential). A majority of newcomers — possibly
  // one attacker's Sybils — may win a job's payment, never an honest provider's bond.
  uint32_t slash_witnesses = 2;
  uint32_t established_after = 10;  // confirmed results in a row that make a provider established
};

// A validator's pay: this share (in basis points) of the job's replicas' cost.
inline constexpr int64_t kValidatorShareBps = 1500;

// The most a job can cost (its validators included); 0 when it asks nothing priced. Throws AmountTooLarge
// (core/money.hpp) when that passes the ceiling: such a job cannot be paid for.
int64_t max_cost_micros(const JobSpec& spec);
// The lock at submission, and the one for the n-th extra replica (n ≥ 1) a disagreement adds.
Transfer lock_transfer(const Job& job, int64_t amount, uint32_t extra = 0);
// What one more replica may cost.
int64_t replica_max_cost_micros(const JobSpec& spec);

// A replica as settlement sees it.
struct SettledReplica {
  const Replica* replica;
  std::string provider;  // who is paid (or slashed): the partition's owner
  int64_t bond = 0;      // that provider's bond now
  bool agrees = false;   // its result is the canonical one (as the quorum compared them)
  int64_t unbonding = 0; // and what of its bond is on its way back (still slashable)
  int64_t prepaid = 0;      // paid out of escrow at verified milestones already
  int64_t prepaid_fee = 0;  // of which to the treasury
  bool established = false; // its provider has earned trust (EconomicsOptions::established_after)
  bool proven_wrong = false; // --verify=score: below the threshold on two validators' word
  bool owed = false;         // --verify=score: paid whatever the verdict (no validator could score it)
};

// A validation task as settlement sees it (--verify=score).
struct SettledValidator {
  const Replica* task;
  std::string provider;
  int64_t bond = 0;
  int64_t unbonding = 0;
  bool in_line = false;  // its scores counted toward a verdict, within the tolerance of the median
  bool out_of_line = false;  // off the median: slashed
};

// Pay as you go: when a quorum of replicas report the same milestone, each of them is paid
// for its runtime so far, less what earlier milestones paid it. `escrow_left` bounds it.
std::vector<Transfer> plan_milestone(const Job& job, uint32_t milestone, const std::vector<SettledReplica>& agreeing,
                                     int64_t now_us, int64_t escrow_left, const EconomicsOptions& options);

struct Settlement {
  std::vector<Transfer> transfers;
  int64_t cost = 0;  // paid out of escrow to providers and treasury
  int64_t fee = 0;   // of which to the treasury
  int64_t validator_pay = 0;  // of which to validators (their fee included)
  std::vector<std::string> paid, slashed;  // providers
  bool proven = false;  // established witnesses confirmed the result: the outvoted were wrong
};

// `escrow_left`: what the job's escrow holds now (its locks, less what milestones paid).
Settlement plan_settlement(const Job& job, const std::vector<SettledReplica>& replicas, int64_t escrow_left,
                           const EconomicsOptions& options, const std::vector<SettledValidator>& validators = {});

}  // namespace og
