// Money as integer micro-units (6 decimals, like USDC): never floating point.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace og {

// The largest amount OpenGrid handles: 1,000,000,000.000000 (10^15 micro-units). Every
// price, deposit, cost and balance stays at or below it, so that sums and differences of
// a few of them never come near int64's limit (9.2 × 10^18); what would pass it is refused.
inline constexpr int64_t kMaxAmountMicros = 1'000'000'000'000'000;

// An amount (or a product of amounts) beyond kMaxAmountMicros; the message says which.
class AmountTooLarge : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

// "0.25" → 250000, "3" → 3000000. Throws og::UsageError for negatives, more than six
// decimals, amounts above kMaxAmountMicros, or anything that is not a plain decimal number.
int64_t parse_money_micros(std::string_view text);
// 250000 → "0.250000"
std::string format_money(int64_t micros);
// What `seconds` (or `micros` of time) at `per_hour_micros` cost, rounded down, computed in
// 128 bits and held at kMaxAmountMicros (a negative input costs 0): for estimates and
// payments bounded by an escrow already locked, which must never throw mid-pass.
int64_t cost_for_seconds(int64_t per_hour_micros, int64_t seconds);
int64_t cost_for_micros(int64_t per_hour_micros, int64_t micros);
// The same where a cost is about to be locked: AmountTooLarge naming `what` past the
// ceiling, std::invalid_argument for a negative input.
int64_t checked_cost_for_seconds(int64_t per_hour_micros, int64_t seconds, const std::string& what);
// a × b for amounts, counts and rates (never negative), or AmountTooLarge naming `what`
// when the product passes kMaxAmountMicros.
int64_t checked_amount_product(int64_t a, int64_t b, const std::string& what);
// a + b likewise.
int64_t checked_amount_sum(int64_t a, int64_t b, const std::string& what);

}  // namespace og
