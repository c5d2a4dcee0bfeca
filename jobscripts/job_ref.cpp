#include "jobscripts/job_ref.hpp"

#include "core/error.hpp"
#include "jobscripts/array_spec.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {
namespace {

UsageError invalid_job_id(std::string_view text) {
  return UsageError("invalid job id " + in_quotes(text) +
                    " (a job id is a number, 42, or tasks of an array: 42_7 or 42_[1-3,7])");
}

}  // namespace

JobRef parse_job_ref(std::string_view text) {
  auto underscore = text.find('_');
  auto id = parse_unsigned(text.substr(0, underscore), UINT64_MAX);
  if (!id || *id == 0) throw invalid_job_id(text);
  JobRef ref{*id, {}};
  if (underscore == std::string_view::npos) return ref;
  std::string_view tasks = text.substr(underscore + 1);
  if (tasks.size() >= 2 && tasks.front() == '[' && tasks.back() == ']') tasks = tasks.substr(1, tasks.size() - 2);
  else if (!all_digits(tasks)) throw invalid_job_id(text);
  if (tasks.empty() || tasks.find('%') != std::string_view::npos) throw invalid_job_id(text);
  try {
    ref.tasks = parse_array_spec(tasks).task_ids;
  } catch (const UsageError&) {
    throw invalid_job_id(text);
  }
  return ref;
}

std::vector<JobRef> parse_job_refs(std::string_view list) {
  std::vector<JobRef> out;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= list.size(); ++i) {
    if (i < list.size() && list[i] == '[') ++depth;
    if (i < list.size() && list[i] == ']') --depth;
    if (i == list.size() || (list[i] == ',' && depth == 0)) {
      std::string_view item = list.substr(start, i - start);
      if (!item.empty()) out.push_back(parse_job_ref(item));
      start = i + 1;
    }
  }
  return out;
}

std::string fold_task_ids(const std::vector<uint32_t>& sorted) {
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(sorted[i]);
    if (j > i) out += '-' + std::to_string(sorted[j]);
    i = j + 1;
  }
  return out;
}

std::string to_string(const JobRef& ref) {
  std::string out = std::to_string(ref.id);
  if (ref.tasks.size() == 1) return out + "_" + std::to_string(ref.tasks[0]);
  if (!ref.tasks.empty()) out += "_[" + fold_task_ids(ref.tasks) + "]";
  return out;
}

}  // namespace og::jobscripts
