// The scheduling policies on their own: FIFO holds everyone behind the first blocked job,
// EASY backfill lets later jobs run only where they cannot delay its reservation.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/job_state.hpp"
#include "scheduler/scheduling_pass.hpp"

namespace og {
namespace {

constexpr int64_t kNow = 1'000'000'000;
constexpr int64_t kHour = 3'600'000'000;

class PassTest : public ::testing::Test {
 protected:
  Partition& add_partition(const std::string& name, uint32_t cpus, int64_t price = 100) {
    Partition& p = partitions_[name];
    p.name = name;
    p.cpus = cpus;
    p.memory_mb = 64 * 1024;
    p.price_micros = price;
    return p;
  }
  // A job already running with `cpus` until its time limit, `hours` from now.
  void running(const std::string& partition, uint64_t id, uint32_t cpus, int64_t hours) {
    partitions_.at(partition).allocate(id, Allocation{cpus, 0, 0, kNow + hours * kHour});
  }
  Job& job(uint32_t cpus, int64_t hours, uint32_t replicas = 1) {
    Job& j = jobs_.emplace_back();
    j.id = next_id_++;
    j.spec.cpus_per_task = cpus;
    j.spec.time_limit_s = hours * 3600;
    j.spec.replicas = replicas;
    return j;
  }
  // Runs one pass over every job made so far, in the order made (their priority order).
  PassOutcome pass(const SchedulerPolicy& policy) {
    std::vector<PassCandidate> ranked;
    for (Job& j : jobs_) {
      ranked.push_back({&j, j.spec.replicas, nullptr});
    }
    PassInput input{ranked, partitions_, arrays_, kNow};
    return policy.run(input);
  }
  static std::vector<uint64_t> started(const PassOutcome& out) {
    std::vector<uint64_t> ids;
    for (const auto& s : out.starts) ids.push_back(s.job->id);
    return ids;
  }

  std::map<std::string, Partition> partitions_;
  std::map<uint64_t, uint32_t> arrays_;
  std::deque<Job> jobs_;  // stable addresses
  uint64_t next_id_ = 100;
};

TEST_F(PassTest, FifoHoldsEveryoneBehindTheFirstBlockedJob) {
  add_partition("p", 8);
  running("p", 1, 6, 2);  // 2 CPUs free for two hours
  Job& big = job(8, 1);
  Job& small = job(1, 1);
  auto out = pass(FifoScheduler());
  EXPECT_TRUE(out.starts.empty());
  EXPECT_EQ(big.reason, reason::kResources);
  EXPECT_EQ(small.reason, reason::kPriority);
  EXPECT_FALSE(out.reservation.has_value());
}

TEST_F(PassTest, BackfillStartsAShortJobThatEndsBeforeTheReservation) {
  add_partition("p", 8);
  running("p", 1, 6, 2);
  Job& big = job(8, 1);
  Job& short_job = job(2, 1);  // ends in 1 h, before big can start in 2 h
  auto out = pass(EasyBackfillScheduler());
  EXPECT_EQ(started(out), std::vector<uint64_t>{short_job.id});
  EXPECT_TRUE(out.starts[0].backfilled);
  ASSERT_TRUE(out.reservation.has_value());
  EXPECT_EQ(out.reservation->job_id, big.id);
  EXPECT_EQ(out.reservation->start_us, kNow + 2 * kHour);
  EXPECT_EQ(out.reservation->partitions, std::vector<std::string>{"p"});
  EXPECT_EQ(big.reason, reason::kResources);
  EXPECT_EQ(partitions_["p"].used_cpus, 8u);  // the pass allocated what it started
}

TEST_F(PassTest, BackfillRefusesAJobThatWouldDelayTheReservation) {
  add_partition("p", 8);
  running("p", 1, 6, 2);
  Job& big = job(8, 1);
  Job& long_job = job(2, 3);  // would still run when big is due
  auto out = pass(EasyBackfillScheduler());
  EXPECT_TRUE(out.starts.empty());
  EXPECT_EQ(big.reason, reason::kResources);
  EXPECT_EQ(long_job.reason, reason::kPriority);
  // Without backfill's caution the long job would have started (greedy first fit).
  Partition copy = partitions_["p"];
  EXPECT_TRUE(has_room(copy, Allocation{2, 0, 0, kNever}));
}

TEST_F(PassTest, BackfillUsesWhatTheReservationLeavesOver) {
  add_partition("p", 8);
  running("p", 1, 6, 2);
  Job& mid = job(4, 1);        // needs 4: waits 2 h; then 4 CPUs stay spare
  Job& long_job = job(2, 10);  // runs past the reservation, in the spare CPUs
  auto out = pass(EasyBackfillScheduler());
  EXPECT_EQ(started(out), std::vector<uint64_t>{long_job.id});
  EXPECT_EQ(mid.reason, reason::kResources);
}

TEST_F(PassTest, BackfillUsesOtherPartitionsFreely) {
  add_partition("a", 8, 100);
  add_partition("b", 2, 900);  // dearer, and too small for the blocked job
  running("a", 1, 6, 2);
  job(8, 1);
  Job& long_job = job(2, 10);
  auto out = pass(EasyBackfillScheduler());
  // Cheaper "a" would delay the reservation; "b" cannot.
  ASSERT_EQ(started(out), std::vector<uint64_t>{long_job.id});
  EXPECT_EQ(out.starts[0].partitions.at(0)->name, "b");
}

TEST_F(PassTest, NoReservationBehindWorkWithoutTimeLimit) {
  add_partition("p", 8);
  partitions_["p"].allocate(1, Allocation{6, 0, 0, kNever});
  job(8, 1);
  Job& small = job(2, 10);
  auto out = pass(EasyBackfillScheduler());
  // The big job's start cannot be planned, so it reserves nothing and holds no one up.
  EXPECT_FALSE(out.reservation.has_value());
  EXPECT_EQ(started(out), std::vector<uint64_t>{small.id});
}

TEST_F(PassTest, JobsThatCanNeverRunDoNotBlock) {
  add_partition("p", 4);
  Job& huge = job(64, 1);
  Job& fits = job(1, 1);
  auto fifo = pass(FifoScheduler());
  EXPECT_EQ(started(fifo), std::vector<uint64_t>{fits.id});
  EXPECT_EQ(huge.reason, reason::kResources);  // no partition will ever hold 64 CPUs
}

TEST_F(PassTest, PriceTooLowDoesNotBlockEither) {
  add_partition("p", 4, 500);
  Job& stingy = job(1, 1);
  stingy.spec.max_price_micros = 100;
  Job& fine = job(1, 1);
  auto out = pass(FifoScheduler());
  EXPECT_EQ(started(out), std::vector<uint64_t>{fine.id});
  EXPECT_EQ(stingy.reason, "PriceTooLow");
}

TEST_F(PassTest, AJobShapeThatFailedIsNotPlacedAgainButReasonsStayRight) {
  add_partition("p", 4);
  std::vector<Job*> same;
  for (int i = 0; i < 6; ++i) same.push_back(&job(2, 1));
  auto out = pass(EasyBackfillScheduler());
  EXPECT_EQ(out.starts.size(), 2u);  // 2 × 2 CPUs
  EXPECT_EQ(same[2]->reason, reason::kResources);
  for (int i = 3; i < 6; ++i) EXPECT_EQ(same[i]->reason, reason::kPriority) << i;
}

TEST_F(PassTest, ArrayThrottleCountsTasksStartedInThePass) {
  add_partition("p", 16);
  arrays_[7] = 1;  // one task of array 7 already runs
  std::vector<Job*> tasks;
  for (int i = 0; i < 4; ++i) {
    Job& t = job(1, 1);
    t.array_job_id = 7;
    t.array_task_id = i + 1;
    t.array_max_running = 3;
    tasks.push_back(&t);
  }
  auto out = pass(EasyBackfillScheduler());
  EXPECT_EQ(out.starts.size(), 2u);
  EXPECT_EQ(tasks[2]->reason, "JobArrayTaskLimit");
  EXPECT_EQ(tasks[3]->reason, "JobArrayTaskLimit");
}

TEST_F(PassTest, ReplicasReserveOnDistinctPartitions) {
  add_partition("a", 4);
  add_partition("b", 4);
  add_partition("c", 4);
  running("a", 1, 4, 1);
  running("b", 2, 4, 3);
  running("c", 3, 4, 2);
  add_partition("small", 2);  // idle, but too small: something is free, so a pass plans
  Job& triple = job(4, 1, /*replicas=*/2);
  auto out = pass(EasyBackfillScheduler());
  ASSERT_TRUE(out.reservation.has_value());
  EXPECT_EQ(out.reservation->job_id, triple.id);
  // The two soonest: a at +1 h, c at +2 h; the job starts when the later one frees.
  EXPECT_EQ(out.reservation->start_us, kNow + 2 * kHour);
  EXPECT_EQ(out.reservation->partitions, (std::vector<std::string>{"a", "c"}));
}

TEST_F(PassTest, UnknownSchedulerNameIsAUsageError) {
  EXPECT_EQ(make_scheduler("fifo")->name(), "fifo");
  EXPECT_EQ(make_scheduler("backfill")->name(), "backfill");
  EXPECT_THROW(make_scheduler("lottery"), UsageError);
}

TEST_F(PassTest, JobsThatDifferOnlyInTheSandboxOrNetworkTheyNeedAreJudgedApart) {
  add_partition("p", 8).isolation = "none";
  Job& jail = job(1, 1);
  jail.spec.isolation = "jail";  // no partition here may hold it
  Job& egress = job(1, 1);
  egress.spec.network = "egress";  // nor this one: p allows no egress
  Job& plain = job(1, 1);  // same shape otherwise: must not inherit their verdict
  auto out = pass(EasyBackfillScheduler());
  EXPECT_EQ(started(out), std::vector<uint64_t>{plain.id});
  EXPECT_NE(jail.reason, reason::kNone);
  EXPECT_NE(egress.reason, reason::kNone);
}

}  // namespace
}  // namespace og
