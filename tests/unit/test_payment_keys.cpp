// The keys of a job's payments: what the planner writes, the parser reads back.
#include <gtest/gtest.h>

#include "chain/payment_keys.hpp"

namespace og {
namespace {

TEST(PaymentKeys, RoundTripSettlementsAndMilestones) {
  auto k = parse_payment_key(pay_key(settlement_key_prefix(42), 7));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->job_id, 42u);
  EXPECT_FALSE(k->milestone);
  EXPECT_EQ(k->replica_id, 7u);
  EXPECT_FALSE(k->fee);
  k = parse_payment_key(fee_key(milestone_key_prefix(9, 3), 12));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->job_id, 9u);
  EXPECT_EQ(k->milestone, 3u);
  EXPECT_EQ(k->replica_id, 12u);
  EXPECT_TRUE(k->fee);
}

TEST(PaymentKeys, OtherKeysAreNotPayments) {
  for (const char* key : {"lock:job:1", "settle:job:1:refund", "settle:job:1:slash:2:requester", "settle:job:x:pay:1",
                          "settle:job:1:pay:", "settle:job:1:pay:2x", "milestone:job:1:pay:2", "faucet:alice:1", ""})
    EXPECT_FALSE(parse_payment_key(key)) << key;
}

}  // namespace
}  // namespace og
