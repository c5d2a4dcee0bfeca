// One line per event, key=value, to stderr. Values with spaces or quotes are quoted.
// Never pass a secret: there is no redaction here by design, callers keep secrets out.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace og {

using LogFields = std::vector<std::pair<std::string_view, std::string>>;

void log_event(std::string_view level, std::string_view event, const LogFields& fields = {});
inline void log_info(std::string_view event, const LogFields& fields = {}) {
  log_event("info", event, fields);
}
inline void log_warn(std::string_view event, const LogFields& fields = {}) {
  log_event("warn", event, fields);
}
inline void log_error(std::string_view event, const LogFields& fields = {}) {
  log_event("error", event, fields);
}
// Silences info lines (benchmarks, tests); warnings and errors still print.
void set_log_quiet(bool quiet);

}  // namespace og
