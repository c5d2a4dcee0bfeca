// The economics of a job: the lock at submission and the settlement at its end.
#include <gtest/gtest.h>

#include <map>

#include "core/money.hpp"
#include "scheduler/escrow.hpp"

namespace og {
namespace {

constexpr int64_t kHourUs = 3'600'000'000;

Replica done(uint64_t id, const std::string& root, int64_t rate, int64_t ran_us, const std::string& outcome = "COMPLETED") {
  Replica r;
  r.id = id;
  r.state = ReplicaState::Done;
  r.outcome = outcome;
  r.root = root;
  r.price_micros = rate;
  r.start_us = 1'000'000;
  r.end_us = r.start_us + ran_us;
  return r;
}

Job job_of(JobState state, uint64_t canonical) {
  Job j;
  j.id = 7;
  j.user = "alice";
  j.state = state;
  j.canonical_replica = canonical;
  j.spec.time_limit_s = 2 * 3600;
  return j;
}

std::map<std::string, int64_t> by_key(const Settlement& s) {
  std::map<std::string, int64_t> out;
  for (const auto& t : s.transfers) out[t.key] = t.amount;
  return out;
}

EconomicsOptions no_witnesses() {
  EconomicsOptions o;
  o.slash_witnesses = 0;
  return o;
}

TEST(Escrow, TheLockCoversEveryReplicaForItsWholeTimeLimit) {
  JobSpec s;
  s.cpus_per_task = 4;
  s.gpus = 1;
  s.max_price_micros = 100'000;      // 0.10 per CPU-hour
  s.max_gpu_price_micros = 2'000'000;  // 2.00 per GPU-hour
  s.time_limit_s = 90 * 60;
  s.replicas = 3;
  EXPECT_EQ(max_cost_micros(s), (4 * 100'000 + 2'000'000) * 3 / 2 * 3);  // 2.40/h × 1.5 h × 3
  s.time_limit_s = -1;  // unlimited: no bound
  EXPECT_EQ(max_cost_micros(s), 0);
}

TEST(Escrow, AgreeingReplicasArePaidTheLiarIsSlashedTheRestIsRefunded) {
  Replica a = done(1, "good", 1'000'000, kHourUs / 2), b = done(2, "good", 2'000'000, kHourUs),
          liar = done(3, "bad", 1'000'000, kHourUs);
  Job job = job_of(JobState::Completed, 1);
  EconomicsOptions o;
  o.slash_witnesses = 0;  // any quorum proves the dissenter wrong (the witnesses: below)
  auto s = plan_settlement(job, {{&a, "w1", 0, true}, {&b, "w2", 0, true}, {&liar, "w3", 8'000'000, false}}, 10'000'000, o);
  auto t = by_key(s);
  EXPECT_EQ(t["settle:job:7:pay:1"], 495'000);  // 0.50 at 1.00/h, less 1 %
  EXPECT_EQ(t["settle:job:7:fee:1"], 5'000);
  EXPECT_EQ(t["settle:job:7:pay:2"], 1'980'000);
  EXPECT_EQ(t["settle:job:7:fee:2"], 20'000);
  EXPECT_EQ(t["settle:job:7:slash:3:requester"], 4'000'000);  // the whole 8.00 bond, halved
  EXPECT_EQ(t["settle:job:7:slash:3:treasury"], 4'000'000);
  EXPECT_EQ(t["settle:job:7:refund"], 10'000'000 - 2'500'000);
  EXPECT_FALSE(t.count("settle:job:7:pay:3"));
  EXPECT_EQ(s.cost, 2'500'000);
  EXPECT_EQ(s.fee, 25'000);
  EXPECT_EQ(s.paid, (std::vector<std::string>{"w1", "w2"}));
  EXPECT_EQ(s.slashed, std::vector<std::string>{"w3"});
}

TEST(Escrow, AnOutvotedProviderIsSlashedOnlyWhenEstablishedProvidersConfirmTheResult) {
  // The captured quorum: two newcomers (one attacker's Sybils) agree on a forgery.
  Replica s1 = done(1, "forged", 1'000'000, kHourUs), s2 = done(2, "forged", 1'000'000, kHourUs),
          honest = done(3, "true", 1'000'000, kHourUs);
  Job job = job_of(JobState::Completed, 1);
  EconomicsOptions o;  // 2 established witnesses needed
  auto captured = plan_settlement(job, {{&s1, "sybil-1", 0, true}, {&s2, "sybil-2", 0, true}, {&honest, "h", 10'000'000}},
                                  10'000'000, o);
  EXPECT_FALSE(captured.proven);
  EXPECT_TRUE(captured.slashed.empty()) << "a bare majority of newcomers slashes no one";
  EXPECT_EQ(captured.paid, (std::vector<std::string>{"sybil-1", "sybil-2"}));  // they win the payment at most
  // The same job with two established providers on the canonical side: proven.
  SettledReplica e1{&s1, "old-1", 0, true}, e2{&s2, "old-2", 0, true};
  e1.established = e2.established = true;
  auto proven = plan_settlement(job, {e1, e2, {&honest, "h", 10'000'000}}, 10'000'000, o);
  EXPECT_TRUE(proven.proven);
  EXPECT_EQ(proven.slashed, std::vector<std::string>{"h"});
  // One established witness is not two.
  e2.established = false;
  EXPECT_TRUE(plan_settlement(job, {e1, e2, {&honest, "h", 10'000'000}}, 10'000'000, o).slashed.empty());
}

TEST(Escrow, ACostPastTheCeilingCannotBeLockedNorWrapNegative) {
  JobSpec s;
  s.cpus_per_task = 2;
  s.time_limit_s = 120 * 60;
  s.max_price_micros = 4'611'686'018'427'387'903;  // the --max-price that bought free compute
  EXPECT_THROW(max_cost_micros(s), AmountTooLarge);
  s.max_price_micros = kMaxAmountMicros;
  s.replicas = 5;
  EXPECT_THROW(max_cost_micros(s), AmountTooLarge);
  s.max_price_micros = 1'000'000;
  EXPECT_EQ(max_cost_micros(s), 2 * 2 * 1'000'000 * 5);
}

TEST(Escrow, NoQuorumPaysNoOneAndRefundsAll) {
  Replica a = done(1, "x", 1'000'000, kHourUs), b = done(2, "y", 1'000'000, kHourUs);
  Job job = job_of(JobState::Failed, 0);
  auto s = plan_settlement(job, {{&a, "w1", 5}, {&b, "w2", 5}}, 3'000'000, EconomicsOptions{});
  ASSERT_EQ(s.transfers.size(), 1u);
  EXPECT_EQ(s.transfers[0].key, "settle:job:7:refund");
  EXPECT_EQ(s.transfers[0].amount, 3'000'000);
  EXPECT_TRUE(s.slashed.empty()) << "without a quorum nobody is proven wrong";
}

TEST(Escrow, ACancelledJobPaysForTheWorkThatRan) {
  Replica ran = done(1, "", 1'000'000, kHourUs / 4, "CANCELLED");
  Replica never;
  never.id = 2;
  never.state = ReplicaState::Cancelled;
  Job job = job_of(JobState::Cancelled, 0);
  auto t = by_key(plan_settlement(job, {{&ran, "w1", 0}, {&never, "w2", 0}}, 1'000'000, EconomicsOptions{}));
  EXPECT_EQ(t["settle:job:7:pay:1"] + t["settle:job:7:fee:1"], 250'000);
  EXPECT_FALSE(t.count("settle:job:7:pay:2"));
  EXPECT_EQ(t["settle:job:7:refund"], 750'000);
}

TEST(Escrow, PaymentsNeverExceedTheLockOrTheTimeLimit) {
  Replica slow = done(1, "r", 10'000'000, 5 * kHourUs);  // ran past its 2 h limit
  Job job = job_of(JobState::Completed, 1);
  auto s = plan_settlement(job, {{&slow, "w1", 0, true}}, 15'000'000, EconomicsOptions{});
  EXPECT_EQ(s.cost, 15'000'000);  // 2 h × 10.00 = 20.00, capped by the 15.00 locked
  auto t = by_key(s);
  EXPECT_FALSE(t.count("settle:job:7:refund"));
}


TEST(Escrow, AShortReplicaIsBilledItsFirstMinute) {
  Replica quick = done(1, "r", 3'600'000, 50'000);  // 50 ms at 3.60/h
  Job job = job_of(JobState::Completed, 1);
  EconomicsOptions o;
  EXPECT_EQ(plan_settlement(job, {{&quick, "w1", 0, true}}, 1'000'000, o).cost, 60'000);  // 60 s × 0.001/s
  o.min_billed_s = 0;
  EXPECT_EQ(plan_settlement(job, {{&quick, "w1", 0, true}}, 1'000'000, o).cost, 50);
  job.spec.time_limit_s = 30;  // never more than its time limit
  o.min_billed_s = 60;
  EXPECT_EQ(plan_settlement(job, {{&quick, "w1", 0, true}}, 1'000'000, o).cost, 30'000);
}


TEST(Escrow, ABondBeingWithdrawnIsStillSlashed) {
  Replica good = done(1, "g", 1'000'000, kHourUs), liar = done(2, "b", 1'000'000, kHourUs);
  Job job = job_of(JobState::Completed, 1);
  SettledReplica lying{&liar, "w2", 2'000'000, false};
  lying.unbonding = 20'000'000;
  auto t = by_key(plan_settlement(job, {{&good, "w1", 0, true}, lying}, 5'000'000, no_witnesses()));
  EXPECT_EQ(t["settle:job:7:slash:2:recall"], 8'000'000);  // 10.00 slash, 2.00 of it in the bond
  EXPECT_EQ(t["settle:job:7:slash:2:requester"] + t["settle:job:7:slash:2:treasury"], 10'000'000);
}


TEST(Escrow, MilestonesPayAsYouGoAndTheSettlementOnlyTheRest) {
  Replica r = done(1, "g", 3'600'000, kHourUs);  // 3.60/h: 1.00 a thousand seconds
  r.state = ReplicaState::Running;
  Job job = job_of(JobState::Running, 0);
  EconomicsOptions o;
  // Milestone 1 at 600 s: 0.60 due.
  auto first = plan_milestone(job, 1, {{&r, "w1"}}, r.start_us + 600'000'000, 10'000'000, o);
  std::map<std::string, int64_t> t;
  for (const auto& x : first) t[x.key] = x.amount;
  EXPECT_EQ(t["milestone:job:7:1:pay:1"] + t["milestone:job:7:1:fee:1"], 600'000);
  EXPECT_EQ(t["milestone:job:7:1:fee:1"], 6'000);
  // Milestone 2 at 900 s, 0.60 already paid: 0.30 more; never beyond what escrow holds.
  SettledReplica paid{&r, "w1"};
  paid.prepaid = 600'000;
  auto second = plan_milestone(job, 2, {paid}, r.start_us + 900'000'000, 10'000'000, o);
  int64_t sum = 0;
  for (const auto& x : second) sum += x.amount;
  EXPECT_EQ(sum, 300'000);
  EXPECT_TRUE(plan_milestone(job, 3, {paid}, r.start_us + 900'000'000, 0, o).empty());
  // The end: an hour in all (3.60), 0.90 prepaid with its fee inside.
  r.state = ReplicaState::Done;
  job = job_of(JobState::Completed, 1);
  SettledReplica final_r{&r, "w1", 0, true};
  final_r.prepaid = 900'000;
  final_r.prepaid_fee = 9'000;
  auto s = plan_settlement(job, {final_r}, 10'000'000 - 900'000, o);  // the escrow, less the milestones
  auto ft = by_key(s);
  EXPECT_EQ(ft["settle:job:7:pay:1"] + ft["settle:job:7:fee:1"], 2'700'000);
  EXPECT_EQ(s.cost, 3'600'000);
  EXPECT_EQ(s.fee, 27'000 + 9'000);
  EXPECT_EQ(ft["settle:job:7:refund"], 10'000'000 - 3'600'000);
}


TEST(Escrow, TheRefundIsWhatTheEscrowStillHoldsWhateverMilestonesPaid) {
  // A replica paid 0.50 at a milestone, then lost; the job ends without a result.
  Replica lost = done(1, "", 1'000'000, kHourUs);
  lost.state = ReplicaState::Lost;
  Job job = job_of(JobState::Failed, 0);
  SettledReplica sr{&lost, "w1"};
  sr.prepaid = 500'000;
  sr.prepaid_fee = 5'000;
  auto s = plan_settlement(job, {sr}, 1'500'000, EconomicsOptions{});  // 2.00 locked, 0.50 gone
  auto t = by_key(s);
  EXPECT_EQ(t["settle:job:7:refund"], 1'500'000) << "never more than the escrow holds";
  EXPECT_EQ(s.cost, 500'000) << "what the milestone paid is part of the cost";
  EXPECT_EQ(s.fee, 5'000);
}

TEST(Escrow, TwoWrongReplicasOfOneProviderTakeAtMostItsBond) {
  Replica good = done(1, "g", 1'000'000, kHourUs), bad1 = done(2, "b", 1'000'000, kHourUs),
          bad2 = done(3, "c", 1'000'000, kHourUs);
  Job job = job_of(JobState::Completed, 1);
  auto s = plan_settlement(job, {{&good, "w1", 0, true}, {&bad1, "cheat", 12'000'000}, {&bad2, "cheat", 12'000'000}},
                           5'000'000, no_witnesses());
  int64_t slashed = 0;
  for (const auto& t : s.transfers)
    if (t.from == bond_account("cheat")) slashed += t.amount;
  EXPECT_EQ(slashed, 12'000'000) << "10.00 for the first, the 2.00 left for the second";
}

TEST(Escrow, WorkCancelledWhileRunningIsPaidWorkNeverStartedIsNot) {
  Replica running = done(1, "", 3'600'000, 10 * 60'000'000LL, "CANCELLED");
  running.state = ReplicaState::Cancelled;  // stopped by og-schedd while it ran
  Replica waiting;
  waiting.id = 2;
  waiting.state = ReplicaState::Cancelled;  // never delivered: no outcome
  waiting.price_micros = 3'600'000;
  waiting.start_us = 1;
  waiting.end_us = 3'600'000'000LL;
  Job job = job_of(JobState::Cancelled, 0);
  auto t = by_key(plan_settlement(job, {{&running, "w1"}, {&waiting, "w2"}}, 5'000'000, EconomicsOptions{}));
  EXPECT_EQ(t["settle:job:7:pay:1"] + t["settle:job:7:fee:1"], 600'000);  // 10 min at 3.60/h
  EXPECT_FALSE(t.count("settle:job:7:pay:2"));
}

}  // namespace
}  // namespace og
