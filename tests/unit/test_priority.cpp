// The multifactor priority: each factor, their weighted sum, and fair-share decay.
#include <gtest/gtest.h>

#include "scheduler/priority.hpp"

namespace og {
namespace {

constexpr int64_t kDay = 86400LL * 1'000'000;

Job pending_job(const std::string& user, int64_t submit_us, uint32_t cpus = 1) {
  Job j;
  j.user = user;
  j.submit_us = submit_us;
  j.spec.cpus_per_task = cpus;
  return j;
}

TEST(FairShare, HeavyUsersFallBehindAndUsageDecays) {
  FairShare fs(/*half_life_s=*/86400);
  fs.add_account("light");
  fs.add_usage("heavy", 1000, 0);
  EXPECT_DOUBLE_EQ(fs.factor("light", 0), 1.0);   // no usage: 2^0
  EXPECT_DOUBLE_EQ(fs.factor("heavy", 0), 0.25);  // all usage, half the shares: 2^-2
  EXPECT_GT(fs.factor("newcomer", 0), fs.factor("heavy", 0));
  // Usage of both decays alike, so the ratio holds; new usage by light shifts it.
  fs.add_usage("light", 1000, kDay);  // heavy's 1000 has halved to 500 by then
  EXPECT_GT(fs.factor("heavy", kDay), fs.factor("light", kDay));
}

TEST(MultifactorPriority, AgeSaturatesAtMaxAge) {
  PriorityWeights w;
  w.max_age_s = 86400;
  FairShare fs(86400);
  MultifactorPriority p(w, fs);
  Job j = pending_job("a", 0);
  EXPECT_DOUBLE_EQ(p.factors(j, kDay / 2, 8).age, 0.5);
  EXPECT_DOUBLE_EQ(p.factors(j, 3 * kDay, 8).age, 1.0);
  EXPECT_GT(p.factors(j, kDay, 8).priority, p.factors(j, 0, 8).priority);
}

TEST(MultifactorPriority, SizeQosAndNice) {
  PriorityWeights w;
  w.qos_priority = {{"normal", 0}, {"high", 100}, {"mid", 50}};
  FairShare fs(86400);
  MultifactorPriority p(w, fs);
  Job small = pending_job("a", 0, 1), big = pending_job("a", 0, 4);
  EXPECT_DOUBLE_EQ(p.factors(big, 0, 8).job_size, 0.5);
  EXPECT_GT(p.factors(big, 0, 8).priority, p.factors(small, 0, 8).priority);
  Job mid = small;
  mid.spec.qos = "mid";
  EXPECT_DOUBLE_EQ(p.factors(mid, 0, 8).qos, 0.5);
  EXPECT_DOUBLE_EQ(p.factors(small, 0, 8).qos, 0.0);  // unknown or lowest QOS
  Job nice = small;
  nice.spec.nice = 100;
  EXPECT_EQ(p.factors(nice, 0, 8).priority, p.factors(small, 0, 8).priority - 100);
}

TEST(MultifactorPriority, ChargesTheAccountElseTheUser) {
  Job j = pending_job("alice", 0);
  EXPECT_EQ(charge_account(j), "alice");
  j.spec.account = "physics";
  EXPECT_EQ(charge_account(j), "physics");
}

}  // namespace
}  // namespace og
