// Slurm job states as OpenGrid outcomes: what ended how, and what is handed back to be
// run elsewhere (the provider's cluster failed, not the job).
#include <gtest/gtest.h>

#include "worker/slurm_backend.hpp"

namespace og {
namespace {

TEST(SlurmOutcome, EndedStatesMapAndRunningOnesDoNot) {
  EXPECT_EQ(slurm_outcome("COMPLETED"), "COMPLETED");
  EXPECT_EQ(slurm_outcome("FAILED"), "FAILED");
  EXPECT_EQ(slurm_outcome("TIMEOUT"), "TIMEOUT");
  EXPECT_EQ(slurm_outcome("DEADLINE"), "TIMEOUT");
  EXPECT_EQ(slurm_outcome("OUT_OF_MEMORY"), "OUT_OF_MEMORY");
  EXPECT_EQ(slurm_outcome("CANCELLED"), "CANCELLED");
  // The cluster's failures: handed back, og-schedd requeues the lease.
  EXPECT_EQ(slurm_outcome("NODE_FAIL"), "CANCELLED");
  EXPECT_EQ(slurm_outcome("BOOT_FAIL"), "CANCELLED");
  EXPECT_EQ(slurm_outcome("PREEMPTED"), "CANCELLED");
  for (const char* running : {"PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING", ""})
    EXPECT_EQ(slurm_outcome(running), "") << running;
}

}  // namespace
}  // namespace og
