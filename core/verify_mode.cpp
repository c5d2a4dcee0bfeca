#include "core/verify_mode.hpp"

#include <charconv>

namespace og {

std::optional<VerifyMode> parse_verify_mode(std::string_view text) {
  if (text == "exact") return VerifyMode{};
  constexpr std::string_view kFuzzy = "fuzzy:";
  if (text.substr(0, kFuzzy.size()) != kFuzzy) return std::nullopt;
  std::string_view number = text.substr(kFuzzy.size());
  double tol = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), tol);
  if (ec != std::errc() || end != number.data() + number.size() || !(tol > 0 && tol < 1)) return std::nullopt;
  return VerifyMode{true, tol};
}

}  // namespace og
