#include "jobscripts/memory_spec.hpp"

#include <cctype>
#include <limits>

#include "core/error.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

uint64_t parse_memory_mb(std::string_view text) {
  auto invalid = [&] {
    return UsageError("invalid memory size " + in_quotes(text) +
                      " (use a number with an optional K, M, G or T suffix, e.g. 4G or 4GB)");
  };
  if (text.empty()) throw invalid();

  std::string_view digits = text;
  // 16GB, 512gb, 8192MB: Slurm takes a B after the unit letter, as HPC centres write it.
  if (digits.size() >= 2 && (digits.back() == 'b' || digits.back() == 'B') &&
      std::isalpha(static_cast<unsigned char>(digits[digits.size() - 2])))
    digits.remove_suffix(1);
  if (digits.empty()) throw invalid();
  char suffix = 'm';
  char last = digits.back();
  if (!(last >= '0' && last <= '9')) {
    suffix = static_cast<char>(std::tolower(static_cast<unsigned char>(last)));
    digits.remove_suffix(1);
  }
  auto value = parse_unsigned(digits, std::numeric_limits<uint64_t>::max());
  if (!value) throw invalid();

  uint64_t factor = 1;
  switch (suffix) {
    case 'k':
      return *value / 1024 + (*value % 1024 ? 1 : 0);
    case 'm':
      factor = 1;
      break;
    case 'g':
      factor = 1024;
      break;
    case 't':
      factor = 1024 * 1024;
      break;
    default:
      throw invalid();
  }
  if (*value > std::numeric_limits<uint64_t>::max() / factor) {
    throw UsageError("memory size " + in_quotes(text) + " is too large");
  }
  return *value * factor;
}

}  // namespace og::jobscripts
