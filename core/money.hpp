// Money as integer micro-units (6 decimals, like USDC): never floating point.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace og {

// "0.25" → 250000, "3" → 3000000. Throws og::UsageError for negatives, more than six
// decimals, or anything that is not a plain decimal number.
int64_t parse_money_micros(std::string_view text);
// 250000 → "0.250000"
std::string format_money(int64_t micros);
// What `seconds` (or `micros` of time) at `per_hour_micros` cost, rounded down, without
// overflowing on the way.
int64_t cost_for_seconds(int64_t per_hour_micros, int64_t seconds);
int64_t cost_for_micros(int64_t per_hour_micros, int64_t micros);

}  // namespace og
