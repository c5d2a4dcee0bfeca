#include "core/log.hpp"

#include <atomic>
#include <cstdio>

#include "core/strings.hpp"
#include "core/time_util.hpp"

namespace og {
namespace {

std::atomic<bool> g_quiet{false};

void append_value(std::string& line, std::string_view value) {
  bool needs_quotes = value.empty() || value.find_first_of(" \"=\t\n") != std::string_view::npos;
  if (!needs_quotes) {
    line += value;
    return;
  }
  line += '"' + escape_quoted(value) + '"';
}

}  // namespace

void set_log_quiet(bool quiet) { g_quiet = quiet; }

void log_event(std::string_view level, std::string_view event, const LogFields& fields) {
  if (g_quiet && level == "info") return;
  std::string line = "ts=" + iso8601_utc_us(now_unix_us()) + " level=";
  line += level;
  line += " event=";
  line += event;
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    append_value(line, value);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write: lines never interleave
}

}  // namespace og
