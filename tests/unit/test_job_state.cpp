// Job states: names, short codes, parsing and the transition rules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/job_state.hpp"

namespace og {
namespace {

const std::vector<JobState> kAllStates = {
    JobState::Pending,   JobState::Running, JobState::Completing,
    JobState::Completed, JobState::Failed,  JobState::Cancelled,
    JobState::Timeout,   JobState::NodeFail, JobState::OutOfMemory,
};

TEST(JobStateTest, NamesAndShortCodesAreSlurms) {
  EXPECT_EQ(to_string(JobState::Pending), "PENDING");
  EXPECT_EQ(short_code(JobState::Pending), "PD");
  EXPECT_EQ(to_string(JobState::Running), "RUNNING");
  EXPECT_EQ(short_code(JobState::Running), "R");
  EXPECT_EQ(to_string(JobState::Completing), "COMPLETING");
  EXPECT_EQ(short_code(JobState::Completing), "CG");
  EXPECT_EQ(to_string(JobState::Completed), "COMPLETED");
  EXPECT_EQ(short_code(JobState::Completed), "CD");
  EXPECT_EQ(to_string(JobState::Failed), "FAILED");
  EXPECT_EQ(short_code(JobState::Failed), "F");
  EXPECT_EQ(to_string(JobState::Cancelled), "CANCELLED");
  EXPECT_EQ(short_code(JobState::Cancelled), "CA");
  EXPECT_EQ(to_string(JobState::Timeout), "TIMEOUT");
  EXPECT_EQ(short_code(JobState::Timeout), "TO");
  EXPECT_EQ(to_string(JobState::NodeFail), "NODE_FAIL");
  EXPECT_EQ(short_code(JobState::NodeFail), "NF");
  EXPECT_EQ(to_string(JobState::OutOfMemory), "OUT_OF_MEMORY");
  EXPECT_EQ(short_code(JobState::OutOfMemory), "OOM");
}

TEST(JobStateTest, NameAndCodeRoundTrip) {
  for (JobState s : kAllStates) {
    EXPECT_EQ(job_state_from_string(to_string(s)), s) << to_string(s);
    EXPECT_EQ(job_state_from_string(short_code(s)), s) << short_code(s);
  }
}

TEST(JobStateTest, ParsingIsCaseInsensitive) {
  EXPECT_EQ(job_state_from_string("pending"), JobState::Pending);
  EXPECT_EQ(job_state_from_string("Running"), JobState::Running);
  EXPECT_EQ(job_state_from_string("node_fail"), JobState::NodeFail);
  EXPECT_EQ(job_state_from_string("pd"), JobState::Pending);
  EXPECT_EQ(job_state_from_string("cD"), JobState::Completed);
  EXPECT_EQ(job_state_from_string("oom"), JobState::OutOfMemory);
}

TEST(JobStateTest, UnknownNamesThrowUsageError) {
  EXPECT_THROW(job_state_from_string(""), UsageError);
  EXPECT_THROW(job_state_from_string("DONE"), UsageError);
  EXPECT_THROW(job_state_from_string("PENDING "), UsageError);
  EXPECT_THROW(job_state_from_string("NODE-FAIL"), UsageError);
  try {
    job_state_from_string("bogus");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos) << e.what();
  }
}

TEST(JobStateTest, IsFinished) {
  EXPECT_FALSE(is_finished(JobState::Pending));
  EXPECT_FALSE(is_finished(JobState::Running));
  EXPECT_FALSE(is_finished(JobState::Completing));
  EXPECT_TRUE(is_finished(JobState::Completed));
  EXPECT_TRUE(is_finished(JobState::Failed));
  EXPECT_TRUE(is_finished(JobState::Cancelled));
  EXPECT_TRUE(is_finished(JobState::Timeout));
  EXPECT_TRUE(is_finished(JobState::NodeFail));
  EXPECT_TRUE(is_finished(JobState::OutOfMemory));
}

TEST(JobStateTest, PendingTransitions) {
  EXPECT_TRUE(can_transition(JobState::Pending, JobState::Running));
  EXPECT_TRUE(can_transition(JobState::Pending, JobState::Cancelled));
  EXPECT_TRUE(can_transition(JobState::Pending, JobState::Failed));
  EXPECT_FALSE(can_transition(JobState::Pending, JobState::Completed));
  EXPECT_FALSE(can_transition(JobState::Pending, JobState::Completing));
}

TEST(JobStateTest, RunningMayFallBackToPendingForRequeue) {
  EXPECT_TRUE(can_transition(JobState::Running, JobState::Pending));
  EXPECT_TRUE(can_transition(JobState::Running, JobState::Completing));
  EXPECT_TRUE(can_transition(JobState::Running, JobState::Completed));
  EXPECT_TRUE(can_transition(JobState::Running, JobState::NodeFail));
}

TEST(JobStateTest, CompletingOnlyToFinalStates) {
  EXPECT_TRUE(can_transition(JobState::Completing, JobState::Completed));
  EXPECT_TRUE(can_transition(JobState::Completing, JobState::Failed));
  EXPECT_FALSE(can_transition(JobState::Completing, JobState::Pending));
  EXPECT_FALSE(can_transition(JobState::Completing, JobState::Running));
}

TEST(JobStateTest, FinishedStatesAreTerminal) {
  for (JobState from : kAllStates) {
    if (!is_finished(from)) continue;
    for (JobState to : kAllStates)
      EXPECT_FALSE(can_transition(from, to)) << to_string(from) << " -> " << to_string(to);
  }
}

TEST(JobStateTest, SameStateIsRefused) {
  for (JobState s : kAllStates) EXPECT_FALSE(can_transition(s, s)) << to_string(s);
}

}  // namespace
}  // namespace og
