// og-sim --validators: score verification's economics, as issue 24's parameters are
// chosen from it.
#include <gtest/gtest.h>

#include "scheduler/sim/validator_sim.hpp"

namespace og::sim {
namespace {

ValidatorSimParams quick() {
  ValidatorSimParams p;
  p.jobs = 20'000;
  return p;
}

TEST(ValidatorSim, HonestPlayIsNeverPunishedAndCostsTheValidationsMade) {
  auto r = simulate_validators(quick());
  ASSERT_EQ(r.rows.size(), 4u);
  const auto& honest = r.rows[0];
  EXPECT_EQ(honest.caught_within_horizon, 0);
  EXPECT_EQ(honest.honest_unpaid, 0);
  EXPECT_EQ(honest.wrong_accepted, 0);
  EXPECT_EQ(r.below_threshold, 0);
  // One validation a job, a second for about 10 %, rarely a third: 0.15 × (1.1 …).
  EXPECT_GT(r.validation_overhead, 0.15 * 1.08);
  EXPECT_LT(r.validation_overhead, 0.15 * 1.12);
}

TEST(ValidatorSim, NoStrategyPaysAndEachIsCaughtSoon) {
  auto r = simulate_validators(quick());
  for (size_t i = 1; i < r.rows.size(); ++i) {
    SCOPED_TRACE(r.rows[i].strategy);
    EXPECT_LT(r.rows[i].gain_per_job, 0);
    EXPECT_GT(r.rows[i].caught_within_horizon, 0.95);
    EXPECT_LT(r.rows[i].mean_jobs_to_catch, 40);
  }
  EXPECT_LT(r.rows[3].wrong_accepted, 0.1) << "a colluding validator is drawn for few of its partner's jobs";
}

TEST(ValidatorSim, WithoutSecondOpinionsALazyValidatorProfits) {
  auto p = quick();
  p.second_opinion = 0;
  p.check_low = false;
  auto r = simulate_validators(p);
  const auto& lazy = r.rows[2];
  ASSERT_NE(lazy.strategy.find("lazy validator"), std::string::npos);
  EXPECT_GT(lazy.gain_per_job, 0) << "it keeps the compute it never spent";
  EXPECT_EQ(lazy.caught_within_horizon, 0);
  EXPECT_GT(lazy.honest_unpaid, 0.03) << "and honest replicas it scored at random go unpaid";
}

TEST(ValidatorSim, ALowScoreAlwaysCheckedLeavesNoHonestReplicaUnpaidOnOneWord) {
  auto r = simulate_validators(quick());
  for (const auto& row : r.rows) EXPECT_EQ(row.honest_unpaid, 0) << row.strategy;
  EXPECT_LT(r.rows[1].mean_jobs_to_catch, 1.5) << "a lazy replica's first low score is confirmed";
  auto p = quick();
  p.check_low = false;
  auto unchecked = simulate_validators(p);
  EXPECT_GT(unchecked.rows[2].honest_unpaid, 0.03) << "a lazy validator's random low scores stand alone";
  EXPECT_GT(unchecked.rows[1].mean_jobs_to_catch, 5);
}

}  // namespace
}  // namespace og::sim
