// Parsers for the values of individual sbatch options. Each throws og::UsageError with
// just the problem; the caller adds where the option came from.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace og::jobscripts {

// A count of at least 1 that fits a uint32 (--ntasks, --cpus-per-task ...).
uint32_t parse_positive_count(std::string_view text);
// "N" or "N-M" (--nodes): the minimum, and the maximum when a range is given.
std::pair<uint32_t, std::optional<uint32_t>> parse_node_range(std::string_view text);
// Decimal currency with up to 6 decimals, in micro-units: "0.25" -> 250000.
int64_t parse_price_micros(std::string_view text);
// --nice value; empty means the flag was given without one (sbatch's default 100).
int32_t parse_nice(std::string_view text);

struct GpuRequest {
  uint32_t count = 0;
  std::string type;                  // empty = any
  std::vector<std::string> ignored;  // non-GPU gres entries, for warnings
};
// --gres=gpu[:type][:N][,other...]; "none" clears the request.
GpuRequest parse_gres(std::string_view text);
// -G/--gpus=[type:]N.
GpuRequest parse_gpus(std::string_view text);

struct ExportRequest {
  std::string mode;  // "ALL" or "NONE"
  std::map<std::string, std::string> environment;
};
// --export=ALL|NONE|[ALL,]VAR[=value][,...]. A bare VAR takes its value from this
// process's environment (skipped when unset); a list without ALL exports only the list.
ExportRequest parse_export(std::string_view text);

}  // namespace og::jobscripts
