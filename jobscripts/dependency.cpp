#include "jobscripts/dependency.hpp"

#include <string>

#include "core/error.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

namespace {

UsageError invalid_dependency(std::string_view text, const std::string& why) {
  return UsageError("invalid dependency " + in_quotes(text) + ": " + why);
}

bool is_job_id(std::string_view id) {
  auto underscore = id.find('_');
  std::string_view job = id.substr(0, underscore);
  auto value = parse_unsigned(job, UINT64_MAX);
  if (!value || *value == 0) return false;
  if (underscore == std::string_view::npos) return true;
  std::string_view task = id.substr(underscore + 1);
  return task == "*" || all_digits(task);
}

}  // namespace

void validate_dependency(std::string_view text) {
  if (text.empty()) throw invalid_dependency(text, "empty");
  bool all_of = text.find(',') != std::string_view::npos;
  bool any_of = text.find('?') != std::string_view::npos;
  if (all_of && any_of) {
    throw invalid_dependency(text, "',' (all of) and '?' (any of) cannot be mixed");
  }
  for (std::string_view item : split(text, any_of ? '?' : ',')) {
    const std::string lower = to_lower(item);
    if (lower == "singleton") continue;
    auto colon = lower.find(':');
    std::string type = lower.substr(0, colon);
    bool is_after = type == "after";
    if (!is_after && type != "afterany" && type != "afterok" && type != "afternotok" &&
        type != "afterburstbuffer" && type != "aftercorr") {
      throw invalid_dependency(text, "unknown dependency type " + in_quotes(type) +
                                         " (use after, afterany, afterok, afternotok, afterburstbuffer, "
                                         "aftercorr or singleton)");
    }
    if (colon == std::string::npos || colon + 1 == lower.size()) {
      throw invalid_dependency(text, in_quotes(type) + " needs job ids, as in " + type + ":123");
    }
    for (std::string_view id : split(std::string_view(item).substr(colon + 1), ':')) {
      if (auto plus = id.find('+'); plus != std::string_view::npos) {
        // Only "after" takes a delay: minutes after the job started.
        if (!is_after) throw invalid_dependency(text, "only after: takes a +minutes delay");
        if (!all_digits(id.substr(plus + 1))) {
          throw invalid_dependency(text, in_quotes(id) + ": the delay after '+' must be a number of minutes");
        }
        id = id.substr(0, plus);
      }
      if (!is_job_id(id)) throw invalid_dependency(text, in_quotes(id) + " is not a job id");
    }
  }
}

}  // namespace og::jobscripts
