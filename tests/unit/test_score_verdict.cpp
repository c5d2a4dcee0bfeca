// --verify=score: the mode's syntax, the verdict from validators' scores, and what the
// escrow locks and pays for them.
#include <gtest/gtest.h>

#include <map>

#include "core/verify_mode.hpp"
#include "scheduler/escrow.hpp"
#include "scheduler/reputation.hpp"
#include "scheduler/score_verdict.hpp"

namespace og {
namespace {

constexpr double kThreshold = 0.5, kTolerance = 0.15;

ScoreVerdict verdict(const std::vector<ValidatorScores>& done, uint32_t wanted) {
  return decide_scores({11, 12}, done, wanted, kThreshold, kTolerance);
}

TEST(VerifyScore, ParsesTheScriptAndItsThreshold) {
  auto plain = parse_verify_mode("score:ai/score.sh");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->kind, VerifyMode::Kind::Score);
  EXPECT_EQ(plain->score_script, "ai/score.sh");
  EXPECT_EQ(plain->threshold, kDefaultScoreThreshold);
  EXPECT_FALSE(plain->compares_contents());
  auto strict = parse_verify_mode("score:score.py:0.8");
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->score_script, "score.py");
  EXPECT_DOUBLE_EQ(strict->threshold, 0.8);
  EXPECT_TRUE(parse_verify_mode("score:a/b.sh:1"));
  // Nothing a shell or the file system would read otherwise, no threshold outside (0, 1].
  for (const char* bad : {"score:", "score:/abs.sh", "score:../up.sh", "score:a/../b.sh", "score:a b.sh",
                          "score:a'b.sh", "score:x.sh:0", "score:x.sh:1.5", "score:x.sh:", "score:x.sh:abc",
                          "score:a//b.sh", "score:dir/", "score:./x.sh"})
    EXPECT_FALSE(parse_verify_mode(bad)) << bad;
}

TEST(ScoreVerdict, OneValidatorDecidesWhenEveryScoreReachesTheThreshold) {
  auto v = verdict({{21, {{11, 0.9}, {12, 0.7}}}}, 1);
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.best, 11u);
  EXPECT_DOUBLE_EQ(v.scores[12], 0.7);
  EXPECT_TRUE(v.out_of_line.empty());
  EXPECT_TRUE(v.proven_low.empty());
}

TEST(ScoreVerdict, TheVerdictWaitsForTheValidatorsDrawn) {
  auto v = verdict({{21, {{11, 0.9}, {12, 0.9}}}}, 2);  // a random second opinion
  EXPECT_FALSE(v.decided);
  EXPECT_EQ(v.validators, 2u);
  EXPECT_FALSE(verdict({}, 1).decided);
}

TEST(ScoreVerdict, ALowScoreIsNeverFinalOnOneValidatorsWord) {
  auto v = verdict({{21, {{11, 0.9}, {12, 0.1}}}}, 1);
  EXPECT_FALSE(v.decided);
  EXPECT_EQ(v.validators, 2u);
  // Confirmed: the lazy replica is proven low, the other is the result.
  auto confirmed = verdict({{21, {{11, 0.9}, {12, 0.1}}}, {22, {{11, 0.85}, {12, 0.05}}}}, 2);
  ASSERT_TRUE(confirmed.decided);
  EXPECT_EQ(confirmed.best, 11u);
  EXPECT_EQ(confirmed.proven_low, (std::set<uint64_t>{12}));
  EXPECT_TRUE(confirmed.out_of_line.empty());
}

TEST(ScoreVerdict, ValidatorsWhoDisagreeBringAThirdAndTheOneOffTheMedianIsOutOfLine) {
  // A lazy validator scores an honest replica low: the second disagrees, a third decides.
  auto two = verdict({{21, {{11, 0.1}, {12, 0.9}}}, {22, {{11, 0.9}, {12, 0.85}}}}, 2);
  EXPECT_FALSE(two.decided);
  EXPECT_EQ(two.validators, 3u);
  auto three = verdict({{21, {{11, 0.1}, {12, 0.9}}}, {22, {{11, 0.9}, {12, 0.85}}}, {23, {{11, 0.88}, {12, 0.9}}}}, 3);
  ASSERT_TRUE(three.decided);
  EXPECT_EQ(three.out_of_line, (std::set<uint64_t>{21}));
  EXPECT_DOUBLE_EQ(three.scores[11], 0.88);
  EXPECT_EQ(three.best, 12u);  // 0.9 against 0.88
  EXPECT_TRUE(three.proven_low.empty());
}

TEST(ScoreVerdict, NoReplicaAtTheThresholdMeansNoResult) {
  auto v = verdict({{21, {{11, 0.2}, {12, 0.3}}}, {22, {{11, 0.25}, {12, 0.2}}}}, 2);
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.best, 0u);
  EXPECT_EQ(v.proven_low, (std::set<uint64_t>{11, 12}));
}

TEST(ScoreVerdict, WithNoOtherValidatorInTheMeshTheAnswersInHandDecide) {
  // A low score, but no second validator to confirm it: decided, the low replica unpaid
  // but not proven lazy (one validator's word).
  auto v = decide_scores({11, 12}, {{21, {{11, 0.9}, {12, 0.1}}}}, 2, kThreshold, kTolerance, /*more=*/false);
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.best, 11u);
  EXPECT_TRUE(v.proven_low.empty());
  // Nothing in hand: still waiting, whatever the mesh; nor do two who disagree decide.
  EXPECT_FALSE(decide_scores({11}, {}, 1, kThreshold, kTolerance, false).decided);
  EXPECT_FALSE(decide_scores({11}, {{21, {{11, 0.9}}}, {22, {{11, 0.1}}}}, 2, kThreshold, kTolerance, false).decided);
}

TEST(ScoreVerdict, TheJournalKeepsTheVerdictWhole) {
  auto v = verdict({{21, {{11, 0.1}, {12, 0.9}}}, {22, {{11, 0.9}, {12, 0.85}}}, {23, {{11, 0.88}, {12, 0.9}}}}, 3);
  auto back = verdict_from_json(verdict_json(v));
  EXPECT_TRUE(back.decided);
  EXPECT_EQ(back.scores, v.scores);
  EXPECT_EQ(back.out_of_line, v.out_of_line);
  EXPECT_EQ(back.proven_low, v.proven_low);
  EXPECT_EQ(back.best, v.best);
  EXPECT_FALSE(verdict_from_json({{"reason", "ValidationFailed"}}).decided);
}

TEST(ScoreVerdict, AReplicaAValidatorLeftOutScoresNothing) {
  auto v = decide_scores({11}, {{21, {}}}, 1, kThreshold, kTolerance);
  EXPECT_FALSE(v.decided);  // 0 is below the threshold: a second opinion
}

TEST(ScoreReputation, AScoreCountsByWhereItStandsAgainstTheJobsThreshold) {
  // An LLM's accepted answers score hundredths: at its threshold, still a good result.
  EXPECT_DOUBLE_EQ(score_reputation_target(0.01, 0.01), 0.6);
  EXPECT_DOUBLE_EQ(score_reputation_target(1.0, 0.01), 1.0);
  EXPECT_DOUBLE_EQ(score_reputation_target(0.005, 0.01), 0.25);
  EXPECT_DOUBLE_EQ(score_reputation_target(0.0, 0.5), 0.0);
  Partition p;
  record_score(p, 0.026, 0.01, 1'000'000, ReputationOptions{});
  EXPECT_GT(p.reputation, 0.5) << "an accepted result raises it";
  Partition lazy;
  record_score(lazy, 0.001, 0.01, 1'000'000, ReputationOptions{});
  EXPECT_LT(lazy.reputation, 0.5);
}

TEST(Escrow, AScoredJobLocksRoomForItsValidators) {
  JobSpec s;
  s.cpus_per_task = 1;
  s.max_price_micros = 1'000'000;
  s.time_limit_s = 3600;
  s.replicas = 2;
  int64_t replicas = max_cost_micros(s);
  s.verify = "score:score.sh";
  EXPECT_EQ(max_cost_micros(s), replicas + replicas * kMaxValidators * kValidatorShareBps / 10'000);
}

TEST(Escrow, ValidatorsInLineArePaidAShareOutOfLineOnesAndProvenLazyReplicasAreSlashed) {
  auto replica = [](uint64_t id, int64_t ran_us) {
    Replica r;
    r.id = id;
    r.state = ReplicaState::Done;
    r.outcome = "COMPLETED";
    r.price_micros = 1'000'000;  // 1.00 an hour
    r.start_us = 1'000'000;
    r.end_us = r.start_us + ran_us;
    return r;
  };
  Replica good = replica(11, 3'600'000'000), lazy = replica(12, 3'600'000'000);
  Replica v1 = replica(21, 1'000'000), v2 = replica(22, 1'000'000), v3 = replica(23, 1'000'000);
  Job job;
  job.id = 7;
  job.user = "alice";
  job.state = JobState::Completed;
  job.canonical_replica = 11;
  job.spec.time_limit_s = 7200;
  EconomicsOptions o;
  SettledReplica lazy_settled{&lazy, "w2", 20'000'000, false};
  lazy_settled.proven_wrong = true;
  auto s = plan_settlement(job, {{&good, "w1", 0, true}, lazy_settled}, 10'000'000, o,
                           {{&v1, "v1", 0, 0, true, false}, {&v2, "v2", 0, 0, true, false}, {&v3, "v3", 20'000'000, 0, false, true}});
  std::map<std::string, int64_t> t;
  for (const auto& x : s.transfers) t[x.key] = x.amount;
  EXPECT_EQ(t["settle:job:7:pay:11"], 990'000);
  EXPECT_FALSE(t.count("settle:job:7:pay:12"));
  // Slashes proven by scores go to the treasury whole (the requester's script judged them):
  // the lazy replica loses what it would have been paid (1.00), the validator twice its pay.
  EXPECT_EQ(t["settle:job:7:slash:12:treasury"], 1'000'000);
  EXPECT_FALSE(t.count("settle:job:7:slash:12:requester"));
  // 15 % of the 2.00 the two replicas' hours cost, whether or not they were paid; 1 % fee.
  EXPECT_EQ(t["settle:job:7:pay:21"] + t["settle:job:7:fee:21"], 300'000);
  EXPECT_EQ(t["settle:job:7:fee:21"], 3'000);
  EXPECT_EQ(t["settle:job:7:pay:22"], 297'000);
  EXPECT_FALSE(t.count("settle:job:7:pay:23"));
  EXPECT_EQ(t["settle:job:7:slash:23:treasury"], 600'000);
  EXPECT_FALSE(t.count("settle:job:7:slash:23:requester"));
  EXPECT_EQ(t["settle:job:7:refund"], 10'000'000 - 1'000'000 - 600'000);
  EXPECT_EQ(s.slashed, (std::vector<std::string>{"w2", "v3"}));
}

TEST(Escrow, AJobNoValidatorCouldScorePaysItsCompletedReplicas) {
  Replica r;
  r.id = 11;
  r.state = ReplicaState::Done;
  r.outcome = "COMPLETED";
  r.price_micros = 1'000'000;
  r.start_us = 1'000'000;
  r.end_us = r.start_us + 3'600'000'000;
  Job job;
  job.id = 7;
  job.user = "alice";
  job.state = JobState::Failed;  // ValidationFailed: no result
  job.spec.time_limit_s = 7200;
  SettledReplica owed{&r, "w1", 0, false};
  owed.owed = true;
  auto s = plan_settlement(job, {owed}, 5'000'000, EconomicsOptions{});
  EXPECT_EQ(s.cost, 1'000'000);
  EXPECT_EQ(s.paid, std::vector<std::string>{"w1"});
}

}  // namespace
}  // namespace og
