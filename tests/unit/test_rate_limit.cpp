// The per-credential token bucket: a burst, then the rate; Retry-After when empty; each
// credential on its own; looking without taking; no limit at rate 0.
#include <gtest/gtest.h>

#include "core/http_server.hpp"
#include "scheduler/rate_limit.hpp"

namespace og {
namespace {

TEST(RateLimiter, ABurstThenTheRateThenRetryAfter) {
  RateLimiter limiter(2, 3);  // 2 a second after a burst of 3
  int64_t retry = 0, t = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("alice", t, retry)) << i;
  EXPECT_FALSE(limiter.allow("alice", t, retry));
  EXPECT_EQ(retry, 1);  // half a second for a token, rounded up to whole seconds
  EXPECT_TRUE(limiter.allow("bob", t, retry));  // its own bucket
  EXPECT_FALSE(limiter.allow("alice", t + 400'000, retry));
  EXPECT_TRUE(limiter.allow("alice", t + 500'000, retry));  // one token back after 0.5 s
  EXPECT_FALSE(limiter.allow("alice", t + 500'000, retry));
  // Idle long enough, the bucket is full again, never fuller.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("alice", t + 100'000'000, retry)) << i;
  EXPECT_FALSE(limiter.allow("alice", t + 100'000'000, retry));
}

TEST(RateLimiter, SpentLooksWithoutTaking) {
  RateLimiter limiter(10, 2);
  int64_t retry = 0, t = 5'000'000;
  EXPECT_FALSE(limiter.spent("10.0.0.1", t, retry));  // never seen: a full bucket
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.spent("10.0.0.1", t, retry)) << "looking took a token";
  EXPECT_TRUE(limiter.allow("10.0.0.1", t, retry));
  EXPECT_TRUE(limiter.allow("10.0.0.1", t, retry));
  EXPECT_TRUE(limiter.spent("10.0.0.1", t, retry));
  EXPECT_EQ(retry, 1);
  EXPECT_FALSE(limiter.spent("10.0.0.1", t + 100'000, retry));  // one back after 0.1 s at 10/s
}

TEST(ClientAddressGroup, IPv4AsItIsMappedIPv4AsIPv4AndIPv6ByItsSlash64) {
  EXPECT_EQ(client_address_group("127.0.0.9"), "127.0.0.9");
  EXPECT_EQ(client_address_group("::ffff:192.0.2.7"), "192.0.2.7") << "dual-stack IPv4 clients stay apart";
  EXPECT_EQ(client_address_group("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_address_group("2001:db8:1:2:bbbb::9"), client_address_group("2001:db8:1:2:aaaa::1"));
}

TEST(RateLimiter, RateZeroMeansNoLimit) {
  RateLimiter limiter(0, 0);
  int64_t retry = 0;
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limiter.allow("alice", 0, retry));
  EXPECT_FALSE(limiter.spent("alice", 0, retry));
}

}  // namespace
}  // namespace og
