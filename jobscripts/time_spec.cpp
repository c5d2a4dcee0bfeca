#include "jobscripts/time_spec.hpp"

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/job_spec.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

namespace {

// Nine digits per field keeps every product far below int64 overflow.
constexpr uint64_t kMaxField = 999'999'999;

UsageError invalid_time(std::string_view text) {
  return UsageError("invalid time " + in_quotes(text) +
                    " (use M, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED)");
}

}  // namespace

int64_t parse_time_limit(std::string_view text) {
  if (iequals(text, "UNLIMITED") || iequals(text, "INFINITE") || text == "-1") return kTimeUnlimited;

  std::string_view clock = text;
  int64_t days = -1;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto parsed = parse_unsigned(text.substr(0, dash), kMaxField);
    if (!parsed) throw invalid_time(text);
    days = static_cast<int64_t>(*parsed);
    clock = text.substr(dash + 1);
  }

  std::vector<int64_t> fields;
  for (std::string_view part : split(clock, ':')) {
    auto parsed = parse_unsigned(part, kMaxField);
    if (!parsed) throw invalid_time(text);
    fields.push_back(static_cast<int64_t>(*parsed));
  }
  if (fields.size() > 3) throw invalid_time(text);

  int64_t seconds = 0;
  if (days >= 0) {
    // After "D-" the fields are hours[:minutes[:seconds]].
    const int64_t units[] = {3600, 60, 1};
    seconds = days * 86400;
    for (size_t i = 0; i < fields.size(); ++i) seconds += fields[i] * units[i];
  } else if (fields.size() == 1) {
    seconds = fields[0] * 60;
  } else if (fields.size() == 2) {
    seconds = fields[0] * 60 + fields[1];
  } else {
    seconds = fields[0] * 3600 + fields[1] * 60 + fields[2];
  }
  if (seconds == 0) return kTimeUnlimited;
  return (seconds + 59) / 60 * 60;  // whole minutes, rounded up, as Slurm keeps a limit
}

}  // namespace og::jobscripts
