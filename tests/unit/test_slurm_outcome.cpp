// Slurm job states as OpenGrid outcomes: what ended how, and what is handed back to be
// run elsewhere (the provider's cluster failed, not the job).
#include <gtest/gtest.h>

#include "worker/slurm_backend.hpp"

namespace og {
namespace {

TEST(SlurmOutcome, EndedStatesMapAndRunningOnesDoNot) {
  EXPECT_EQ(slurm_outcome("COMPLETED"), Outcome::Completed);
  EXPECT_EQ(slurm_outcome("FAILED"), Outcome::Failed);
  EXPECT_EQ(slurm_outcome("TIMEOUT"), Outcome::Timeout);
  EXPECT_EQ(slurm_outcome("DEADLINE"), Outcome::Timeout);
  EXPECT_EQ(slurm_outcome("OUT_OF_MEMORY"), Outcome::OutOfMemory);
  // Cancelled on the cluster (our own cancel, or its admin's) and the cluster's failures:
  // handed back; og-schedd ends it as cancelled where it asked for that, else requeues it.
  EXPECT_EQ(slurm_outcome("CANCELLED"), Outcome::HandedBack);
  EXPECT_EQ(slurm_outcome("NODE_FAIL"), Outcome::HandedBack);
  EXPECT_EQ(slurm_outcome("BOOT_FAIL"), Outcome::HandedBack);
  EXPECT_EQ(slurm_outcome("PREEMPTED"), Outcome::HandedBack);
  for (const char* running : {"PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING", ""})
    EXPECT_EQ(slurm_outcome(running), std::nullopt) << running;
}

TEST(Outcome, OneNameOnTheWireEachAndNothingElse) {
  for (auto o : {Outcome::Completed, Outcome::Failed, Outcome::Timeout, Outcome::OutOfMemory, Outcome::Cancelled,
                 Outcome::HandedBack})
    EXPECT_EQ(outcome_from_string(to_string(o)), o);
  EXPECT_EQ(to_string(Outcome::HandedBack), "HANDED_BACK");
  EXPECT_EQ(outcome_from_string("NODE_FAIL"), std::nullopt) << "a state of a replica, not what a worker reports";
  EXPECT_EQ(outcome_from_string("completed"), std::nullopt);
  EXPECT_FALSE(has_outputs(Outcome::HandedBack));
  EXPECT_TRUE(has_outputs(Outcome::Timeout));
}

}  // namespace
}  // namespace og
