// Small string helpers shared by the directive parsers (internal to og_jobscripts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace og::jobscripts {

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view text);
// Splits on every occurrence of sep; empty pieces are kept so callers can reject them.
std::vector<std::string_view> split(std::string_view text, char sep);
bool all_digits(std::string_view text);
// Decimal digits only (no sign, no spaces); nullopt when empty, not digits or above max.
std::optional<uint64_t> parse_unsigned(std::string_view text, uint64_t max);
// Optional leading '-' then digits; nullopt when malformed or outside [min, max].
std::optional<int64_t> parse_signed(std::string_view text, int64_t min, int64_t max);
// Wraps text in double quotes for error messages.
std::string in_quotes(std::string_view text);

}  // namespace og::jobscripts
