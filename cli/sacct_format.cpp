#include "cli/sacct_format.hpp"

#include "cli/job_fields.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "jobscripts/text.hpp"

namespace og::cli {
namespace {

struct Field {
  const char* name;
  size_t width;  // sacct's default
  char squeue_letter;  // the same value as og-squeue's %letter, or 0: computed below
};

constexpr Field kFields[] = {
    {"JobID", 12, 'i'},    {"JobIDRaw", 12, 'A'},  {"JobName", 10, 'j'},   {"Partition", 10, 'P'},
    {"Account", 10, 'a'},  {"User", 9, 'u'},       {"QOS", 10, 'q'},       {"State", 10, 'T'},
    {"Timelimit", 10, 'l'}, {"NNodes", 8, 'D'},    {"AllocNodes", 10, 'D'}, {"NCPUS", 10, 'C'},
    {"AllocCPUS", 10, 'C'}, {"NodeList", 15, 'N'}, {"Reason", 20, 'r'},    {"Submit", 19, 'V'},
    {"Start", 19, 'S'},    {"End", 19, 'e'},       {"Comment", 15, 'k'},   {"ExitCode", 8, 0},
    {"Elapsed", 10, 0},    {"ElapsedRaw", 10, 0},  {"CPUTime", 10, 0},     {"CPUTimeRAW", 10, 0},
    {"ReqMem", 10, 0},     {"ReqCPUS", 8, 0},      {"WorkDir", 20, 0},     {"Cost", 12, 0},
};

const Field* find_field(const std::string& name) {
  for (const Field& f : kFields)
    if (jobscripts::to_lower(f.name) == jobscripts::to_lower(name)) return &f;
  return nullptr;
}

}  // namespace

std::vector<SacctColumn> parse_sacct_format(const std::string& format) {
  std::vector<SacctColumn> columns;
  for (const std::string& item : split_list(format)) {
    std::string name = item.substr(0, item.find('%'));
    const Field* field = find_field(name);
    if (!field)
      throw UsageError("--format: unknown field \"" + name + "\" (og-sacct --helpformat lists the fields: " +
                       sacct_field_names() + ")");
    size_t width = field->width;
    if (item.find('%') != std::string::npos) {
      std::string w = item.substr(item.find('%') + 1);
      if (w.empty() || w.find_first_not_of("0123456789") != std::string::npos || w.size() > 3 || std::stoul(w) == 0)
        throw UsageError("--format: \"" + item + "\": the width after % must be a number of columns");
      width = std::stoul(w);
    }
    columns.push_back({field->name, width});
  }
  if (columns.empty()) throw UsageError("--format: name at least one field (og-sacct --helpformat lists them)");
  return columns;
}

std::string sacct_value(const nlohmann::json& job, const SacctColumn& column) {
  const Field* field = find_field(column.name);
  if (field && field->squeue_letter) return job_field(job, field->squeue_letter);
  const std::string& n = column.name;
  int64_t elapsed = job_elapsed_s(job);
  int64_t cpus = job.value("cpus", int64_t{1});
  if (n == "ExitCode") {
    // sacct prints exit code and signal; scripts killed by a signal report 128+N.
    int code = job.value("exit_code", 0);
    return code > 128 ? "0:" + std::to_string(code - 128) : std::to_string(code) + ":0";
  }
  if (n == "Elapsed") return format_elapsed(elapsed, false);
  if (n == "ElapsedRaw") return std::to_string(elapsed);
  if (n == "CPUTime") return format_elapsed(elapsed * cpus, false);
  if (n == "CPUTimeRAW") return std::to_string(elapsed * cpus);
  if (n == "ReqCPUS") return std::to_string(cpus);
  if (n == "ReqMem") {
    int64_t mb = job.value("memory_mb", int64_t{0});
    return mb > 0 ? std::to_string(mb) + "M" : "0";
  }
  if (n == "WorkDir") return job.value("current_working_directory", "");
  if (n == "Cost") return job.value("cost", "");
  return "";
}

std::string sacct_field_names() {
  std::string names;
  for (const Field& f : kFields) names += (names.empty() ? "" : " ") + std::string(f.name);
  return names;
}

}  // namespace og::cli
