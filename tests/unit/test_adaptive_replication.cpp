// Adaptive replication's rule on its own: who is trusted, and how many replicas a job
// keeps of those placement chose.
#include <gtest/gtest.h>

#include "scheduler/adaptive_replication.hpp"

namespace og {
namespace {

TEST(AdaptiveReplication, OnlyAFreshJobOnATrustedBestOfferRunsAlone) {
  Partition trusted_p, new_p;
  trusted_p.valid_streak = 10;
  new_p.valid_streak = 9;
  AdaptiveOptions o;  // trust after 10, spot checks 10 %
  EXPECT_TRUE(trusted(trusted_p, o));
  EXPECT_FALSE(trusted(new_p, o));
  Job job;
  job.spec.replicas = 3;
  std::vector<Partition*> best_trusted = {&trusted_p, &new_p, &new_p};
  EXPECT_EQ(adaptive_replica_count(job, best_trusted, o, 0.5), 1u);
  EXPECT_EQ(adaptive_replica_count(job, best_trusted, o, 0.05), 2u) << "a spot check";
  std::vector<Partition*> best_new = {&new_p, &trusted_p, &trusted_p};
  EXPECT_EQ(adaptive_replica_count(job, best_new, o, 0.5), 3u) << "trust of the second offer does not count";
  Job explicit_quorum = job;
  explicit_quorum.spec.quorum = 3;
  EXPECT_EQ(adaptive_replica_count(explicit_quorum, best_trusted, o, 0.5), 3u) << "--quorum is honoured";
  Job restarted = job;
  restarted.replicas = {7};
  EXPECT_EQ(adaptive_replica_count(restarted, best_trusted, o, 0.5), 3u) << "only when it first starts";
  std::vector<Partition*> single = {&trusted_p};
  EXPECT_EQ(adaptive_replica_count(job, single, o, 0.05), 1u);
  o.enabled = false;
  EXPECT_EQ(adaptive_replica_count(job, best_trusted, o, 0.5), 3u);
}

}  // namespace
}  // namespace og
