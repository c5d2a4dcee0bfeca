#include "core/money.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace og {

int64_t parse_money_micros(std::string_view text) {
  auto bad = [&](const char* why) {
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
        if (whole > 9'000'000'000'000LL) throw bad("too large");
        whole = whole * 10 + (c - '0');
      }
    } else {
      throw bad(c == '-' ? "negative" : "not a number");
    }
  }
  if (text == ".") throw bad("not a number");
  if (whole > 9'000'000'000'000LL) throw bad("too large");  // keeps micro-units in int64
  for (int d = frac_digits < 0 ? 0 : frac_digits; d < 6; ++d) frac *= 10;
  return whole * 1'000'000 + frac;
}

std::string format_money(int64_t micros) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%lld.%06lld", micros < 0 ? "-" : "",
                static_cast<long long>((micros < 0 ? -micros : micros) / 1000000),
                static_cast<long long>((micros < 0 ? -micros : micros) % 1000000));
  return buf;
}

int64_t cost_for_micros(int64_t per_hour_micros, int64_t micros) {
  return static_cast<int64_t>(static_cast<__int128>(per_hour_micros) * micros / 3'600'000'000);
}

int64_t cost_for_seconds(int64_t per_hour_micros, int64_t seconds) {
  return per_hour_micros * (seconds / 3600) + per_hour_micros * (seconds % 3600) / 3600;
}

}  // namespace og
