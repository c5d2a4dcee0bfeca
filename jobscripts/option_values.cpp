#include "jobscripts/option_values.hpp"

#include <cstdlib>
#include <limits>

#include "core/error.hpp"
#include "core/money.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

namespace {

constexpr int64_t kNiceLimit = 2147483645;  // Slurm's NICE_OFFSET - 3
constexpr int kPriceDecimals = 6;

bool is_env_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

uint32_t parse_gpu_count(std::string_view text, std::string_view whole) {
  auto count = parse_unsigned(text, UINT32_MAX);
  if (!count) throw UsageError("invalid GPU count " + in_quotes(text) + " in " + in_quotes(whole));
  return static_cast<uint32_t>(*count);
}

}  // namespace

uint32_t parse_positive_count(std::string_view text) {
  auto value = parse_unsigned(text, UINT32_MAX);
  if (!value || *value == 0)
    throw UsageError("expected a whole number of at least 1, got " + in_quotes(text));
  return static_cast<uint32_t>(*value);
}

std::pair<uint32_t, std::optional<uint32_t>> parse_node_range(std::string_view text) {
  auto dash = text.find('-');
  uint32_t min = parse_positive_count(text.substr(0, dash));
  if (dash == std::string_view::npos) return {min, std::nullopt};
  uint32_t max = parse_positive_count(text.substr(dash + 1));
  if (max < min) throw UsageError("node range " + in_quotes(text) + " has its maximum below its minimum");
  return {min, max};
}

int64_t parse_price_micros(std::string_view text) {
  auto invalid = [&] {
    return UsageError("invalid price " + in_quotes(text) + " (use a non-negative amount with up to " +
                      std::to_string(kPriceDecimals) + " decimals, e.g. 0.25)");
  };
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) throw invalid();
  if (!whole.empty() && !all_digits(whole)) throw invalid();
  if (dot != std::string_view::npos && (!all_digits(fraction) || fraction.size() > kPriceDecimals)) {
    throw invalid();
  }
  constexpr int64_t kScale = 1'000'000;
  auto units = whole.empty() ? std::optional<uint64_t>(0)
                             : parse_unsigned(whole, std::numeric_limits<int64_t>::max() / kScale - 1);
  if (!units) throw UsageError("price " + in_quotes(text) + " is too large");
  std::string micros(fraction);
  micros.append(kPriceDecimals - fraction.size(), '0');
  int64_t price = static_cast<int64_t>(*units) * kScale + static_cast<int64_t>(*parse_unsigned(micros, kScale));
  if (price > kMaxAmountMicros)
    throw UsageError("price " + in_quotes(text) + " is above the ceiling of " + format_money(kMaxAmountMicros) +
                     " on any amount (prices are per CPU- or GPU-hour)");
  return price;
}

int32_t parse_nice(std::string_view text) {
  if (text.empty()) return 100;
  auto value = parse_signed(text, -kNiceLimit, kNiceLimit);
  if (!value) {
    throw UsageError("invalid nice value " + in_quotes(text) + " (use a whole number between " +
                     std::to_string(-kNiceLimit) + " and " + std::to_string(kNiceLimit) + ")");
  }
  return static_cast<int32_t>(*value);
}

GpuRequest parse_gres(std::string_view text) {
  GpuRequest request;
  if (text == "none") return request;
  bool seen_gpu = false;
  for (std::string_view entry : split(text, ',')) {
    if (entry.starts_with("gres/")) entry.remove_prefix(5);  // newer Slurm's TRES spelling
    auto parts = split(entry, ':');
    if (parts[0].empty()) throw UsageError("empty entry in " + in_quotes(text));
    if (parts[0] != "gpu") {
      request.ignored.emplace_back(entry);
      continue;
    }
    if (seen_gpu) throw UsageError("gpu is listed twice in " + in_quotes(text));
    seen_gpu = true;
    request.count = 1;  // "gpu" and "gpu:type" mean one GPU
    if (parts.size() == 2) {
      if (all_digits(parts[1])) {
        request.count = parse_gpu_count(parts[1], text);
      } else {
        request.type = std::string(parts[1]);
      }
    } else if (parts.size() == 3) {
      request.type = std::string(parts[1]);
      request.count = parse_gpu_count(parts[2], text);
    } else if (parts.size() > 3) {
      throw UsageError("invalid gres " + in_quotes(entry) + " (use gpu[:type]:N)");
    }
    if (parts.size() > 1 && parts[1].empty())
      throw UsageError("invalid gres " + in_quotes(entry) + " (use gpu[:type]:N)");
  }
  return request;
}

GpuRequest parse_gpus(std::string_view text) {
  GpuRequest request;
  auto colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    request.type = std::string(text.substr(0, colon));
    if (request.type.empty() || request.type.find(':') != std::string::npos) {
      throw UsageError("invalid GPU request " + in_quotes(text) + " (use [type:]N)");
    }
  }
  request.count = parse_gpu_count(colon == std::string_view::npos ? text : text.substr(colon + 1), text);
  return request;
}

ExportRequest parse_export(std::string_view text) {
  ExportRequest request{"NONE", {}};
  if (text.empty()) throw UsageError("expected ALL, NONE or a list of variables");
  if (iequals(text, "NONE")) return request;
  std::string last_assigned;
  bool saw_variable = false;
  for (std::string_view item : split(text, ',')) {
    if (iequals(item, "ALL")) {
      request.mode = "ALL";
      continue;
    }
    if (iequals(item, "NONE"))
      throw UsageError("NONE cannot be combined with other entries in " + in_quotes(text));
    auto eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    if (!is_env_name(name)) {
      // sbatch lets a value hold commas: "PATHS=/a,/b" keeps "/b" in PATHS.
      if (eq == std::string_view::npos && !last_assigned.empty()) {
        request.environment[last_assigned] += "," + std::string(item);
        continue;
      }
      throw UsageError(in_quotes(item) + " is not a valid environment variable name");
    }
    saw_variable = true;
    if (eq != std::string_view::npos) {
      request.environment[std::string(name)] = std::string(item.substr(eq + 1));
      last_assigned = std::string(name);
    } else {
      last_assigned.clear();
      if (const char* value = std::getenv(std::string(name).c_str()))
        request.environment[std::string(name)] = value;
    }
  }
  if (!saw_variable && request.mode != "ALL") throw UsageError("expected ALL, NONE or a list of variables");
  return request;
}

}  // namespace og::jobscripts
