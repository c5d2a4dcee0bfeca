#include "core/money.hpp"

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"

namespace og {

int64_t parse_money_micros(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return UsageError("invalid amount \"" + std::string(text) + "\": " + why +
                      " (write a plain decimal such as 0.25)");
  };
  if (text.empty()) throw bad("empty");
  int64_t whole = 0, frac = 0;
  int frac_digits = -1;  // -1: no decimal point seen
  for (char c : text) {
    if (c == '.') {
      if (frac_digits >= 0) throw bad("two decimal points");
      frac_digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (frac_digits >= 0) {
        if (++frac_digits > 6) throw bad("more than 6 decimals");
        frac = frac * 10 + (c - '0');
      } else {
        if (whole > kMaxAmountMicros / 1'000'000) throw bad("above the ceiling of " + format_money(kMaxAmountMicros));
        whole = whole * 10 + (c - '0');
      }
    } else {
      throw bad(c == '-' ? "negative" : "not a number");
    }
  }
  if (text == ".") throw bad("not a number");
  for (int d = frac_digits < 0 ? 0 : frac_digits; d < 6; ++d) frac *= 10;
  if (whole > kMaxAmountMicros / 1'000'000 || whole * 1'000'000 + frac > kMaxAmountMicros)
    throw bad("above the ceiling of " + format_money(kMaxAmountMicros));
  return whole * 1'000'000 + frac;
}

std::string format_money(int64_t micros) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%lld.%06lld", micros < 0 ? "-" : "",
                static_cast<long long>((micros < 0 ? -micros : micros) / 1000000),
                static_cast<long long>((micros < 0 ? -micros : micros) % 1000000));
  return buf;
}

namespace {

int64_t within_ceiling(__int128 value, const std::string& what) {
  if (value > kMaxAmountMicros)
    throw AmountTooLarge(what + " would pass the ceiling of " + format_money(kMaxAmountMicros));
  return static_cast<int64_t>(value);
}

void require_non_negative(int64_t a, int64_t b, const std::string& what) {
  if (a < 0 || b < 0) throw std::invalid_argument(what + ": a negative amount, rate or count");
}

int64_t held_at_ceiling(__int128 value) {
  return static_cast<int64_t>(std::clamp<__int128>(value, 0, kMaxAmountMicros));
}

}  // namespace

int64_t cost_for_micros(int64_t per_hour_micros, int64_t micros) {
  return held_at_ceiling(static_cast<__int128>(per_hour_micros) * micros / 3'600'000'000);
}

int64_t cost_for_seconds(int64_t per_hour_micros, int64_t seconds) {
  return held_at_ceiling(static_cast<__int128>(per_hour_micros) * seconds / 3600);
}

int64_t checked_cost_for_seconds(int64_t per_hour_micros, int64_t seconds, const std::string& what) {
  require_non_negative(per_hour_micros, seconds, what);
  return within_ceiling(static_cast<__int128>(per_hour_micros) * seconds / 3600, what);
}

int64_t checked_amount_product(int64_t a, int64_t b, const std::string& what) {
  require_non_negative(a, b, what);
  return within_ceiling(static_cast<__int128>(a) * b, what);
}

int64_t checked_amount_sum(int64_t a, int64_t b, const std::string& what) {
  require_non_negative(a, b, what);
  return within_ceiling(static_cast<__int128>(a) + b, what);
}

}  // namespace og
