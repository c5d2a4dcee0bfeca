// Dependencies: the -d syntax parsed into terms, and the policy that decides them.
#include <gtest/gtest.h>

#include <map>

#include "core/error.hpp"
#include "jobscripts/dependency.hpp"
#include "scheduler/dependency_policy.hpp"

namespace og {
namespace {

using jobscripts::DependencyTerm;
using jobscripts::parse_dependency;
using Kind = DependencyTerm::Kind;

TEST(DependencyParse, TermsTargetsTasksAndDelays) {
  auto d = parse_dependency("afterok:12:13_2,after:14+5,afterany:15_*,singleton");
  EXPECT_FALSE(d.any_of);
  ASSERT_EQ(d.terms.size(), 4u);
  EXPECT_EQ(d.terms[0].kind, Kind::AfterOk);
  ASSERT_EQ(d.terms[0].targets.size(), 2u);
  EXPECT_EQ(d.terms[0].targets[0].job_id, 12u);
  EXPECT_EQ(d.terms[0].targets[0].array_task, -1);
  EXPECT_EQ(d.terms[0].targets[1].job_id, 13u);
  EXPECT_EQ(d.terms[0].targets[1].array_task, 2);
  EXPECT_EQ(d.terms[1].kind, Kind::After);
  EXPECT_EQ(d.terms[1].targets[0].delay_minutes, 5);
  EXPECT_TRUE(d.terms[2].targets[0].all_tasks);
  EXPECT_EQ(d.terms[3].kind, Kind::Singleton);
  EXPECT_TRUE(parse_dependency("afterok:1?afternotok:2").any_of);
  EXPECT_THROW(parse_dependency("afterok:1,afterok:2?afterok:3"), UsageError);
  EXPECT_THROW(parse_dependency("afterok:x"), UsageError);
}

TEST(DependencyParse, ABareIdIsAfterany) {
  auto d = parse_dependency("1063543");  // as Slurm reads --dependency=1063543
  ASSERT_EQ(d.terms.size(), 1u);
  EXPECT_EQ(d.terms[0].kind, Kind::AfterAny);
  EXPECT_EQ(d.terms[0].targets[0].job_id, 1063543u);
  auto several = parse_dependency("12:13_2,afterok:14");
  ASSERT_EQ(several.terms.size(), 2u);
  EXPECT_EQ(several.terms[0].kind, Kind::AfterAny);
  ASSERT_EQ(several.terms[0].targets.size(), 2u);
  EXPECT_EQ(several.terms[0].targets[1].array_task, 2);
  EXPECT_EQ(several.terms[1].kind, Kind::AfterOk);
  EXPECT_THROW(parse_dependency("12x"), UsageError);
}

// A tiny world of jobs for the policy to look at.
struct World {
  std::map<uint64_t, Job> jobs;
  bool namesake_running = false;

  Job& add(uint64_t id, JobState state, int64_t start_us = 0, int64_t array_of = 0, int64_t task = -1) {
    Job j;
    j.id = id;
    j.state = state;
    j.start_us = start_us;
    j.array_job_id = static_cast<uint64_t>(array_of);
    j.array_task_id = task;
    return jobs[id] = j;
  }
  DependencyLookup lookup() {
    return {[this](const jobscripts::DependencyTarget& t) {
              std::vector<TargetState> out;
              for (const auto& [id, j] : jobs) {
                bool whole = t.array_task < 0 && !t.all_tasks && id == t.job_id;
                bool task = j.array_job_id == t.job_id && j.is_array_task() &&
                            (t.all_tasks || j.array_task_id == t.array_task);
                if (whole || task) out.push_back(target_state(j));
              }
              return out;
            },
            [this](const Job&) { return namesake_running; }};
  }
  DependencyStatus eval(const std::string& text, const Job& dependent = Job{}, int64_t now_us = 1'000'000'000) {
    return evaluate_dependency(parse_dependency(text), dependent, lookup(), now_us);
  }
};

TEST(DependencyPolicy, AfterOkWaitsThenFollowsTheOutcome) {
  World w;
  w.add(1, JobState::Running, 10);
  EXPECT_EQ(w.eval("afterok:1"), DependencyStatus::Waiting);
  w.jobs[1].state = JobState::Completed;
  EXPECT_EQ(w.eval("afterok:1"), DependencyStatus::Satisfied);
  w.jobs[1].state = JobState::Failed;
  EXPECT_EQ(w.eval("afterok:1"), DependencyStatus::NeverSatisfied);
  EXPECT_EQ(w.eval("afternotok:1"), DependencyStatus::Satisfied);
  EXPECT_EQ(w.eval("afterany:1"), DependencyStatus::Satisfied);
}

TEST(DependencyPolicy, AfterNotOkCanNeverHoldOnceTheJobSucceeded) {
  World w;
  w.add(1, JobState::Completed, 10);
  EXPECT_EQ(w.eval("afternotok:1"), DependencyStatus::NeverSatisfied);
}

TEST(DependencyPolicy, AfterWaitsForTheStartPlusTheDelay) {
  World w;
  w.add(1, JobState::Pending);
  EXPECT_EQ(w.eval("after:1"), DependencyStatus::Waiting);
  w.jobs[1].state = JobState::Running;
  w.jobs[1].start_us = 1'000'000;
  EXPECT_EQ(w.eval("after:1", Job{}, 2'000'000), DependencyStatus::Satisfied);
  EXPECT_EQ(w.eval("after:1+1", Job{}, 2'000'000), DependencyStatus::Waiting);
  EXPECT_EQ(w.eval("after:1+1", Job{}, 62'000'000), DependencyStatus::Satisfied);
}

TEST(DependencyPolicy, AllOfAndAnyOf) {
  World w;
  w.add(1, JobState::Completed, 10);
  w.add(2, JobState::Running, 10);
  w.add(3, JobState::Failed, 10);
  EXPECT_EQ(w.eval("afterok:1,afterok:2"), DependencyStatus::Waiting);
  EXPECT_EQ(w.eval("afterok:1:2"), DependencyStatus::Waiting);
  EXPECT_EQ(w.eval("afterok:1?afterok:2"), DependencyStatus::Satisfied);
  EXPECT_EQ(w.eval("afterok:3,afterok:2"), DependencyStatus::NeverSatisfied);
  EXPECT_EQ(w.eval("afterok:3?afterok:2"), DependencyStatus::Waiting);
  EXPECT_EQ(w.eval("afterok:3?afterok:3"), DependencyStatus::NeverSatisfied);
}

TEST(DependencyPolicy, ArrayTasksWholeArraysAndCorresponding) {
  World w;
  w.add(10, JobState::Completed, 10, 10, 0);
  w.add(11, JobState::Running, 10, 10, 1);
  EXPECT_EQ(w.eval("afterok:10_0"), DependencyStatus::Satisfied);
  EXPECT_EQ(w.eval("afterok:10_*"), DependencyStatus::Waiting);
  Job task0, task1;
  task0.array_job_id = 20;
  task0.array_task_id = 0;
  task1.array_job_id = 20;
  task1.array_task_id = 1;
  EXPECT_EQ(w.eval("aftercorr:10", task0), DependencyStatus::Satisfied);
  EXPECT_EQ(w.eval("aftercorr:10", task1), DependencyStatus::Waiting);
}

TEST(DependencyPolicy, SingletonWaitsForEarlierNamesakes) {
  World w;
  w.namesake_running = true;
  EXPECT_EQ(w.eval("singleton"), DependencyStatus::Waiting);
  w.namesake_running = false;
  EXPECT_EQ(w.eval("singleton"), DependencyStatus::Satisfied);
}

TEST(DependencyPolicy, AJobThatCannotBeFoundNeverSatisfies) {
  World w;
  EXPECT_EQ(w.eval("afterany:99"), DependencyStatus::NeverSatisfied);
}

}  // namespace
}  // namespace og
