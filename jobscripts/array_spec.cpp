#include "jobscripts/array_spec.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

namespace {

uint32_t parse_task_id(std::string_view text, std::string_view spec) {
  auto id = parse_unsigned(text, UINT32_MAX);
  if (!id) {
    throw UsageError("invalid array spec " + in_quotes(spec) + ": " + in_quotes(text) +
                     " is not a task id (use e.g. 0-15, 1,3,5, 0-15:4 or 0-99%10)");
  }
  if (*id > kMaxArrayTaskId) {
    throw UsageError("invalid array spec " + in_quotes(spec) + ": task id " + std::to_string(*id) +
                     " is above the maximum " + std::to_string(kMaxArrayTaskId));
  }
  return static_cast<uint32_t>(*id);
}

[[noreturn]] void too_many_tasks(std::string_view spec) {
  throw UsageError("invalid array spec " + in_quotes(spec) + ": more than " + std::to_string(kMaxArrayTasks) +
                   " tasks");
}

std::vector<uint32_t> sorted_unique(std::vector<uint32_t> ids, std::string_view text) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.size() > kMaxArrayTasks) too_many_tasks(text);
  return ids;
}

}  // namespace

ArraySpec parse_array_spec(std::string_view text) {
  ArraySpec spec;
  std::string_view list = text;
  if (auto percent = text.rfind('%'); percent != std::string_view::npos) {
    auto limit = parse_unsigned(text.substr(percent + 1), UINT32_MAX);
    if (!limit || *limit == 0) {
      throw UsageError("invalid array spec " + in_quotes(text) +
                       ": the %N throttle must be a number of at least 1");
    }
    spec.max_running = static_cast<uint32_t>(*limit);
    list = text.substr(0, percent);
  }
  if (list.empty()) throw UsageError("invalid array spec " + in_quotes(text) + ": no task ids");

  for (std::string_view item : split(list, ',')) {
    std::string_view range = item;
    uint32_t step = 1;
    if (auto colon = item.find(':'); colon != std::string_view::npos) {
      auto parsed = parse_unsigned(item.substr(colon + 1), UINT32_MAX);
      if (!parsed || *parsed == 0) {
        throw UsageError("invalid array spec " + in_quotes(text) + ": the step in " + in_quotes(item) +
                         " must be a number of at least 1");
      }
      step = static_cast<uint32_t>(*parsed);
      range = item.substr(0, colon);
    }
    auto dash = range.find('-');
    if (dash == std::string_view::npos && range.size() != item.size()) {
      throw UsageError("invalid array spec " + in_quotes(text) + ": a step needs a range, as in 0-15:4");
    }
    uint32_t first = parse_task_id(range.substr(0, dash), text);
    uint32_t last = dash == std::string_view::npos ? first : parse_task_id(range.substr(dash + 1), text);
    if (last < first) {
      throw UsageError("invalid array spec " + in_quotes(text) + ": range " + in_quotes(range) +
                       " ends before it starts");
    }
    // Counted before expanding so "0-4000000" fails fast instead of allocating.
    if ((last - first) / step + 1 > kMaxArrayTasks) too_many_tasks(text);
    for (uint64_t id = first; id <= last; id += step) spec.task_ids.push_back(static_cast<uint32_t>(id));
    // Overlapping items are legal, so compact before judging the size.
    if (spec.task_ids.size() > 2 * static_cast<size_t>(kMaxArrayTasks))
      spec.task_ids = sorted_unique(std::move(spec.task_ids), text);
  }
  spec.task_ids = sorted_unique(std::move(spec.task_ids), text);
  return spec;
}

}  // namespace og::jobscripts
