#include "jobscripts/dependency.hpp"

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

namespace {

UsageError invalid_dependency(std::string_view text, const std::string& why) {
  return UsageError("invalid dependency " + in_quotes(text) + ": " + why);
}

// "123", "123_4" or "123_*"; nullopt when it is none of those.
std::optional<DependencyTarget> parse_target(std::string_view id) {
  auto underscore = id.find('_');
  auto value = parse_unsigned(id.substr(0, underscore), UINT64_MAX);
  if (!value || *value == 0) return std::nullopt;
  DependencyTarget t;
  t.job_id = *value;
  if (underscore == std::string_view::npos) return t;
  std::string_view task = id.substr(underscore + 1);
  if (task == "*") {
    t.all_tasks = true;
    return t;
  }
  auto task_id = parse_unsigned(task, INT64_MAX);
  if (!task_id) return std::nullopt;
  t.array_task = static_cast<int64_t>(*task_id);
  return t;
}

DependencyTerm::Kind kind_of(const std::string& type) {
  using K = DependencyTerm::Kind;
  if (type == "after") return K::After;
  if (type == "afterany") return K::AfterAny;
  if (type == "afterok") return K::AfterOk;
  if (type == "afternotok") return K::AfterNotOk;
  if (type == "aftercorr") return K::AfterCorr;
  return K::AfterBurstBuffer;
}

}  // namespace

DependencySpec parse_dependency(std::string_view text) {
  if (text.empty()) throw invalid_dependency(text, "empty");
  DependencySpec spec;
  bool all_of = text.find(',') != std::string_view::npos;
  bool any_of = text.find('?') != std::string_view::npos;
  if (all_of && any_of) {
    throw invalid_dependency(text, "',' (all of) and '?' (any of) cannot be mixed");
  }
  spec.any_of = any_of;
  for (std::string_view given : split(text, any_of ? '?' : ',')) {
    // A bare id, --dependency=123, is afterany:123 (afterany is Slurm's default type).
    const std::string bare = !given.empty() && given[0] >= '0' && given[0] <= '9' ? "afterany:" + std::string(given) : "";
    std::string_view item = bare.empty() ? given : std::string_view(bare);
    const std::string lower = to_lower(item);
    if (lower == "singleton") {
      spec.terms.push_back({DependencyTerm::Kind::Singleton, {}});
      continue;
    }
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
    DependencyTerm term{kind_of(type), {}};
    for (std::string_view id : split(std::string_view(item).substr(colon + 1), ':')) {
      int64_t delay = 0;
      if (auto plus = id.find('+'); plus != std::string_view::npos) {
        // Only "after" takes a delay: minutes after the job started.
        if (!is_after) throw invalid_dependency(text, "only after: takes a +minutes delay");
        if (!all_digits(id.substr(plus + 1))) {
          throw invalid_dependency(text, in_quotes(id) + ": the delay after '+' must be a number of minutes");
        }
        auto minutes = parse_unsigned(id.substr(plus + 1), 1'000'000);
        if (!minutes) throw invalid_dependency(text, in_quotes(id) + ": the delay is too large");
        delay = static_cast<int64_t>(*minutes);
        id = id.substr(0, plus);
      }
      auto target = parse_target(id);
      if (!target) throw invalid_dependency(text, in_quotes(id) + " is not a job id");
      target->delay_minutes = delay;
      term.targets.push_back(*target);
    }
    spec.terms.push_back(std::move(term));
  }
  return spec;
}

}  // namespace og::jobscripts
