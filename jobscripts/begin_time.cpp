#include "jobscripts/begin_time.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

namespace {

constexpr int64_t kDay = 86400;

UsageError invalid_begin(std::string_view text, std::string_view why) {
  return UsageError("invalid time " + in_quotes(text) + ": " + std::string(why) +
                    " (use now, now+N or now-N[minutes|hours|days], HH:MM[:SS], YYYY-MM-DD[THH:MM[:SS]], "
                    "midnight, noon, teatime, today, tomorrow or yesterday)");
}

std::optional<int64_t> unit_seconds(std::string_view unit) {
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"", 1},         {"s", 1},       {"sec", 1},      {"secs", 1},        {"second", 1},
      {"seconds", 1},  {"m", 60},      {"min", 60},     {"mins", 60},       {"minute", 60},
      {"minutes", 60}, {"h", 3600},    {"hour", 3600},  {"hours", 3600},    {"d", kDay},
      {"day", kDay},   {"days", kDay}, {"w", 7 * kDay}, {"week", 7 * kDay}, {"weeks", 7 * kDay},
  };
  for (const auto& [name, seconds] : kUnits) {
    if (name == unit) return seconds;
  }
  return std::nullopt;
}

// "HH:MM[:SS]" with an optional AM/PM suffix; returns seconds since midnight.
std::optional<int64_t> parse_clock(std::string_view clock) {
  std::optional<bool> pm;
  if (clock.size() > 2) {
    std::string_view tail = clock.substr(clock.size() - 2);
    if (tail == "am" || tail == "pm") {
      pm = tail == "pm";
      clock.remove_suffix(2);
      if (!clock.empty() && clock.back() == ' ') clock.remove_suffix(1);
    }
  }
  auto fields = split(clock, ':');
  if (fields.size() < 2 || fields.size() > 3) return std::nullopt;
  int64_t values[3] = {0, 0, 0};
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].size() > 2) return std::nullopt;
    auto v = parse_unsigned(fields[i], 59);
    if (!v) return std::nullopt;
    values[i] = static_cast<int64_t>(*v);
  }
  int64_t hour = values[0];
  if (pm) {
    if (hour < 1 || hour > 12) return std::nullopt;
    hour = hour % 12 + (*pm ? 12 : 0);
  } else if (hour > 23) {
    return std::nullopt;
  }
  return hour * 3600 + values[1] * 60 + values[2];
}

// "YYYY-MM-DD"; returns unix seconds of that day's midnight UTC.
std::optional<int64_t> parse_date(std::string_view date) {
  auto fields = split(date, '-');
  if (fields.size() != 3 || fields[0].size() != 4 || fields[1].size() > 2 || fields[2].size() > 2) {
    return std::nullopt;
  }
  auto y = parse_unsigned(fields[0], 9999);
  auto m = parse_unsigned(fields[1], 12);
  auto d = parse_unsigned(fields[2], 31);
  if (!y || !m || !d) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(*y)},
                                  std::chrono::month{static_cast<unsigned>(*m)},
                                  std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int64_t>(std::chrono::sys_days{ymd}.time_since_epoch().count()) * kDay;
}

}  // namespace

namespace {

enum class Toward { kNext, kLast };  // which occurrence of a clock time without a date

int64_t parse_time(std::string_view text, int64_t now_unix, Toward toward) {
  const std::string lower = to_lower(text);
  std::string_view spec = lower;
  const int64_t today = (now_unix >= 0 ? now_unix : now_unix - (kDay - 1)) / kDay * kDay;
  auto occurrence = [&](int64_t seconds_of_day) {
    int64_t t = today + seconds_of_day;
    if (toward == Toward::kNext) return t < now_unix ? t + kDay : t;
    return t > now_unix ? t - kDay : t;
  };

  if (spec == "now") return now_unix;
  const bool back = spec.starts_with("now-");
  if (spec.starts_with("now+") || (back && toward == Toward::kLast)) {
    std::string_view rest = spec.substr(4);
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    auto count = parse_unsigned(rest.substr(0, digits), 9'999'999'999ULL);
    std::string_view unit = rest.substr(digits);
    if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    auto per_unit = unit_seconds(unit);
    if (!count) throw invalid_begin(text, back ? "expected a number after now-" : "expected a number after now+");
    if (!per_unit) throw invalid_begin(text, "unknown time unit " + in_quotes(unit));
    int64_t offset = static_cast<int64_t>(*count) * *per_unit;
    return back ? now_unix - offset : now_unix + offset;
  }
  if (spec == "midnight") return toward == Toward::kNext ? occurrence(0) : today;
  if (spec == "noon") return occurrence(12 * 3600);
  if (spec == "teatime") return occurrence(16 * 3600);
  if (spec == "today") return today;
  if (spec == "tomorrow") return today + kDay;
  if (spec == "yesterday" && toward == Toward::kLast) return today - kDay;

  if (spec.size() >= 10 && spec[4] == '-') {
    auto day = parse_date(spec.substr(0, 10));
    if (!day) throw invalid_begin(text, "not a valid date");
    if (spec.size() == 10) return *day;
    if (spec[10] != 't') throw invalid_begin(text, "expected T between the date and the time");
    auto clock = parse_clock(spec.substr(11));
    if (!clock) throw invalid_begin(text, "not a valid time of day");
    return *day + *clock;
  }
  if (spec.find(':') != std::string_view::npos) {
    auto clock = parse_clock(spec);
    if (!clock) throw invalid_begin(text, "not a valid time of day");
    return occurrence(*clock);
  }
  throw invalid_begin(text, "unrecognised form");
}

}  // namespace

int64_t parse_begin_time(std::string_view text, int64_t now_unix) { return parse_time(text, now_unix, Toward::kNext); }

int64_t parse_past_time(std::string_view text, int64_t now_unix) { return parse_time(text, now_unix, Toward::kLast); }

}  // namespace og::jobscripts
