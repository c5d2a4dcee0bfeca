// Money as integer micro-units: parsing user input and printing it back.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/money.hpp"

namespace og {
namespace {

TEST(MoneyTest, ParsesPlainDecimals) {
  EXPECT_EQ(parse_money_micros("0.25"), 250000);
  EXPECT_EQ(parse_money_micros("3"), 3000000);
  EXPECT_EQ(parse_money_micros(".5"), 500000);
  EXPECT_EQ(parse_money_micros("1.000001"), 1000001);
  EXPECT_EQ(parse_money_micros("0.000001"), 1);
  EXPECT_EQ(parse_money_micros("0"), 0);
  EXPECT_EQ(parse_money_micros("0.0"), 0);
  EXPECT_EQ(parse_money_micros("12.5"), 12500000);
  EXPECT_EQ(parse_money_micros("007"), 7000000);
  EXPECT_EQ(parse_money_micros("1.123456"), 1123456);
  EXPECT_EQ(parse_money_micros("1000000"), 1000000000000);
}

TEST(MoneyTest, RejectsBadInput) {
  for (const char* bad : {"-1", "1.0000001", "abc", "", "1.2.3", ".", "+1", " 1", "1 ", "1e3",
                          "0x10", "1,5", "--1"}) {
    EXPECT_THROW(parse_money_micros(bad), UsageError) << "\"" << bad << "\"";
  }
}

TEST(MoneyTest, ErrorNamesTheInput) {
  try {
    parse_money_micros("1.2.3");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("1.2.3"), std::string::npos) << e.what();
  }
}

TEST(MoneyTest, RejectsHugeAmounts) {
  EXPECT_THROW(parse_money_micros("100000000000000000000"), UsageError);
  EXPECT_THROW(parse_money_micros("99999999999999"), UsageError);
}

TEST(MoneyTest, FormatsSixDecimals) {
  EXPECT_EQ(format_money(250000), "0.250000");
  EXPECT_EQ(format_money(0), "0.000000");
  EXPECT_EQ(format_money(1), "0.000001");
  EXPECT_EQ(format_money(3000000), "3.000000");
  EXPECT_EQ(format_money(1000001), "1.000001");
  EXPECT_EQ(format_money(-1500000), "-1.500000");
  EXPECT_EQ(format_money(-1), "-0.000001");
}

TEST(MoneyTest, FormatThenParseRoundTrips) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{250000}, int64_t{999999},
                    int64_t{123456789012}}) {
    EXPECT_EQ(parse_money_micros(format_money(v)), v) << v;
  }
}

// Regression (fixed): the "too large" guard allows whole parts up to ~9e13, but
// whole * 1'000'000 overflows int64 above 9'223'372'036'854 (signed overflow, UB; in
// practice a negative or wrapped amount).
TEST(MoneyTest, AmountsThatOverflowAreRefused) {
  EXPECT_THROW(parse_money_micros("9300000000000"), UsageError);
  EXPECT_THROW(parse_money_micros("10000000000000"), UsageError);
}


TEST(Money, CostOfTimeAtAnHourlyRateRoundsDownWithoutOverflow) {
  EXPECT_EQ(cost_for_seconds(3'600'000, 1), 1000);          // 3.60/h for a second
  EXPECT_EQ(cost_for_seconds(1'000'000, 5400), 1'500'000);  // 1.00/h for 90 min
  EXPECT_EQ(cost_for_micros(3'600'000, 1'500'000), 1500);   // to the microsecond
  EXPECT_EQ(cost_for_micros(1, 1'000'000), 0);              // rounded down
  // A large rate for a year does not overflow on the way.
  EXPECT_EQ(cost_for_micros(int64_t(1) << 30, int64_t(365) * 24 * 3'600'000'000), (int64_t(1) << 30) * 365 * 24);
}

TEST(Money, NoAmountPassesTheCeiling) {
  EXPECT_EQ(parse_money_micros("1000000000"), kMaxAmountMicros);
  EXPECT_THROW(parse_money_micros("1000000000.000001"), UsageError);
  EXPECT_THROW(parse_money_micros("9000000000000"), UsageError);  // the faucet deposit that overflowed
  try {
    parse_money_micros("4611686018427.387903");  // the --max-price that bought free compute
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("ceiling of 1000000000.000000"), std::string::npos) << e.what();
  }
}

TEST(Money, CostsAndProductsPastTheCeilingAreRefusedNeverWrapped) {
  // The attack: 2 CPUs at 4611686018427.387903 per hour for 120 minutes wrapped negative.
  int64_t rate = 4'611'686'018'427'387'903;
  EXPECT_THROW(checked_cost_for_seconds(rate, 7200, "x"), AmountTooLarge);
  EXPECT_THROW(checked_cost_for_seconds(-1, 10, "x"), std::invalid_argument);
  // Estimates and bounded payments never throw: held at the ceiling, never wrapped.
  EXPECT_EQ(cost_for_seconds(rate, 7200), kMaxAmountMicros);
  EXPECT_EQ(cost_for_micros(rate, 7'200'000'000), kMaxAmountMicros);
  EXPECT_EQ(cost_for_seconds(-1, 10), 0);
  EXPECT_THROW(checked_amount_product(rate, 2, "price x cpus"), AmountTooLarge);
  EXPECT_THROW(checked_amount_product(INT64_MAX, INT64_MAX, "x"), AmountTooLarge);
  EXPECT_THROW(checked_amount_sum(kMaxAmountMicros, 1, "x"), AmountTooLarge);
  EXPECT_EQ(checked_amount_sum(kMaxAmountMicros - 1, 1, "x"), kMaxAmountMicros);
  EXPECT_THROW(checked_amount_product(-1, 10, "x"), std::invalid_argument);
  EXPECT_EQ(cost_for_seconds(kMaxAmountMicros, 3600), kMaxAmountMicros);
}

}  // namespace
}  // namespace og
