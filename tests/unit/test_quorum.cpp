// Quorum over replica votes: who agrees, when to keep waiting, when to give up.
#include <gtest/gtest.h>

#include <vector>

#include "verify/quorum.hpp"

namespace og {
namespace {

using Kind = QuorumVerdict::Kind;

ReplicaVote vote(uint64_t id, const std::string& root, const std::string& outcome = "COMPLETED",
                 int exit_code = 0) {
  return ReplicaVote{id, outcome, exit_code, root};
}

TEST(QuorumTest, EffectiveQuorumDefaultsToMajority) {
  EXPECT_EQ(effective_quorum(1, 0), 1u);
  EXPECT_EQ(effective_quorum(2, 0), 2u);
  EXPECT_EQ(effective_quorum(3, 0), 2u);
  EXPECT_EQ(effective_quorum(4, 0), 3u);
  EXPECT_EQ(effective_quorum(5, 0), 3u);
}

TEST(QuorumTest, ExplicitQuorumIsKept) {
  EXPECT_EQ(effective_quorum(3, 1), 1u);
  EXPECT_EQ(effective_quorum(3, 3), 3u);
  EXPECT_EQ(effective_quorum(5, 2), 2u);
}

TEST(QuorumTest, SingleReplicaAgreesWithItself) {
  auto v = decide_quorum({vote(7, "r1")}, 1, 0);
  ASSERT_EQ(v.kind, Kind::Agreed);
  ASSERT_TRUE(v.canonical.has_value());
  EXPECT_EQ(v.canonical->replica_id, 7u);
  EXPECT_EQ(v.canonical->root, "r1");
  EXPECT_EQ(v.agreeing, std::vector<uint64_t>{7});
}

TEST(QuorumTest, AgreedWhenKMatch) {
  auto v = decide_quorum({vote(1, "A"), vote(2, "B"), vote(3, "A")}, 2, 0);
  ASSERT_EQ(v.kind, Kind::Agreed);
  ASSERT_TRUE(v.canonical.has_value());
  EXPECT_EQ(v.canonical->root, "A");
  EXPECT_EQ(v.canonical->outcome, "COMPLETED");
  EXPECT_TRUE(v.canonical->replica_id == 1 || v.canonical->replica_id == 3);
  EXPECT_EQ(v.agreeing, (std::vector<uint64_t>{1, 3}));
}

TEST(QuorumTest, AgreedEvenWithReplicasOutstanding) {
  auto v = decide_quorum({vote(1, "A"), vote(2, "A")}, 2, 1);
  EXPECT_EQ(v.kind, Kind::Agreed);
  EXPECT_EQ(v.agreeing.size(), 2u);
}

TEST(QuorumTest, WaitingWhileQuorumCanStillBeReached) {
  auto none = decide_quorum({}, 2, 3);
  EXPECT_EQ(none.kind, Kind::Waiting);
  EXPECT_FALSE(none.canonical.has_value());
  EXPECT_TRUE(none.agreeing.empty());

  auto one = decide_quorum({vote(1, "A")}, 2, 2);
  EXPECT_EQ(one.kind, Kind::Waiting);
  EXPECT_FALSE(one.canonical.has_value());

  auto split = decide_quorum({vote(1, "A"), vote(2, "B")}, 2, 1);
  EXPECT_EQ(split.kind, Kind::Waiting);
}

TEST(QuorumTest, NoQuorumWhenItCannotBeReached) {
  auto v = decide_quorum({vote(1, "A"), vote(2, "B")}, 2, 0);
  EXPECT_EQ(v.kind, Kind::NoQuorum);
  EXPECT_FALSE(v.canonical.has_value());
  EXPECT_TRUE(v.agreeing.empty());

  // 5 replicas, quorum 3: A, B, C and one outstanding can reach at most 2.
  auto w = decide_quorum({vote(1, "A"), vote(2, "B"), vote(3, "C")}, 3, 1);
  EXPECT_EQ(w.kind, Kind::NoQuorum);
  // ...but with two outstanding it still could.
  EXPECT_EQ(decide_quorum({vote(1, "A"), vote(2, "B"), vote(3, "C")}, 3, 2).kind, Kind::Waiting);
  // No votes and nothing outstanding can never agree.
  EXPECT_EQ(decide_quorum({}, 1, 0).kind, Kind::NoQuorum);
}

TEST(QuorumTest, DifferentExitCodesDoNotAgree) {
  auto v = decide_quorum({vote(1, "A", "COMPLETED", 0), vote(2, "A", "COMPLETED", 1)}, 2, 0);
  EXPECT_EQ(v.kind, Kind::NoQuorum);
  EXPECT_NE(vote(1, "A", "FAILED", 1).key(), vote(2, "A", "FAILED", 2).key());
}

TEST(QuorumTest, DifferentOutcomesDoNotAgree) {
  auto v = decide_quorum({vote(1, "A", "COMPLETED", 0), vote(2, "A", "OUT_OF_MEMORY", 0)}, 2, 0);
  EXPECT_EQ(v.kind, Kind::NoQuorum);
}

TEST(QuorumTest, TimeoutVotesAgreeRegardlessOfRoot) {
  EXPECT_EQ(vote(1, "A", "TIMEOUT", 0).key(), vote(2, "B", "TIMEOUT", 0).key());
  auto v = decide_quorum({vote(1, "A", "TIMEOUT"), vote(2, "B", "TIMEOUT")}, 2, 0);
  ASSERT_EQ(v.kind, Kind::Agreed);
  EXPECT_EQ(v.canonical->outcome, "TIMEOUT");
  EXPECT_EQ(v.agreeing, (std::vector<uint64_t>{1, 2}));
}

TEST(QuorumTest, NonTimeoutVotesCompareRoots) {
  EXPECT_NE(vote(1, "A").key(), vote(2, "B").key());
  EXPECT_EQ(vote(1, "A").key(), vote(2, "A").key());
}

TEST(QuorumTest, FailedVotesCanFormTheQuorum) {
  auto v = decide_quorum({vote(1, "A", "FAILED", 3), vote(2, "B"), vote(3, "A", "FAILED", 3)}, 2, 0);
  ASSERT_EQ(v.kind, Kind::Agreed);
  EXPECT_EQ(v.canonical->outcome, "FAILED");
  EXPECT_EQ(v.canonical->exit_code, 3);
}

}  // namespace
}  // namespace og
