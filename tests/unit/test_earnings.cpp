#include "scheduler/earnings.hpp"

#include <gtest/gtest.h>

#include "chain/payment_keys.hpp"

namespace og {
namespace {

constexpr int64_t kDay = 86400LL * 1'000'000;

LedgerEntry entry(std::string key, std::string from, std::string to, int64_t amount, int64_t at_us) {
  return LedgerEntry{0, Transfer{std::move(key), std::move(from), std::move(to), amount, ""}, at_us};
}

TEST(Earnings, CountsItsPayPerDayAndTheJobsThatPaid) {
  const int64_t now = 20'000 * kDay + 3600LL * 1'000'000;  // 2024-10-04, 01:00
  std::vector<LedgerEntry> wallet = {
      entry(pay_key(settlement_key_prefix(7), 70), "escrow:job:7", "wallet:p", 500, now),
      entry(pay_key(milestone_key_prefix(8, 1), 80), "escrow:job:8", "wallet:p", 200, now - kDay),
      entry(pay_key(settlement_key_prefix(8), 80), "escrow:job:8", "wallet:p", 300, now - kDay),
      entry(fee_key(settlement_key_prefix(8), 80), "escrow:job:8", "treasury", 3, now - kDay),  // not its
      entry("deposit:p:x", "external", "wallet:p", 10'000, now),                                // not pay
      entry(pay_key(settlement_key_prefix(1), 10), "escrow:job:1", "wallet:p", 900, now - 10 * kDay),  // too old
  };
  std::vector<LedgerEntry> bond = {entry(settlement_key_prefix(9) + "slash:90:requester", "bond:p", "wallet:alice", 50, now)};
  Earnings e = summarize_earnings(wallet, bond, "p", now, 3);
  ASSERT_EQ(e.days.size(), 3u);
  EXPECT_EQ(e.days[0].day, "2024-10-02");
  EXPECT_EQ(e.days[2].day, "2024-10-04");
  EXPECT_EQ(e.days[0].earned_micros, 0);
  EXPECT_EQ(e.days[1].earned_micros, 500);
  EXPECT_EQ(e.days[1].jobs, 1u) << "one job, paid at a milestone and at the end";
  EXPECT_EQ(e.days[2].earned_micros, 500);
  EXPECT_EQ(e.days[2].slashed_micros, 50);
  EXPECT_EQ(e.earned_micros, 1000);
  EXPECT_EQ(e.jobs, 2u);
  EXPECT_EQ(e.payments, 3u);
  EXPECT_EQ(e.slashed_micros, 50);
}

}  // namespace
}  // namespace og
