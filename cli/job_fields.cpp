#include "cli/job_fields.hpp"

#include "cli/cli_common.hpp"
#include "core/job_state.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"

namespace og::cli {

int64_t job_elapsed_s(const nlohmann::json& job) {
  int64_t start = job.value("start_time", int64_t{0});
  int64_t end = job.value("end_time", int64_t{0});
  if (start == 0) return 0;
  return (end > 0 ? end : now_unix_s()) - start;
}

namespace {

std::string time_limit(const nlohmann::json& job) {
  int64_t s = job.value("time_limit_s", int64_t{0});
  if (s < 0) return "UNLIMITED";
  return format_elapsed(s, false);
}

std::string timestamp(const nlohmann::json& job, const char* key) {
  int64_t t = job.value(key, int64_t{0});
  return t > 0 ? iso8601_utc(t).substr(0, 19) : "N/A";
}

}  // namespace

std::string job_field(const nlohmann::json& job, char c) {
  std::string state = job.value("job_state", "");
  bool pending = state == "PENDING";
  switch (c) {
    case 'i': return display_job_id(job);
    case 'A': return std::to_string(job.value("job_id", uint64_t{0}));
    case 'P': return job.value("partition", "");
    case 'j': return job.value("name", "");
    case 'u': return job.value("user_name", "");
    case 'a': return job.value("account", "");
    case 'q': return job.value("qos", "");
    case 't': return std::string(short_code(job_state_from_string(state)));
    case 'T': return state;
    case 'M': return format_elapsed(job_elapsed_s(job), true);
    case 'l': return time_limit(job);
    case 'D': return std::to_string(job.value("node_count", 1));
    case 'C': return std::to_string(job.value("cpus", 1));
    case 'N': return job.value("nodes", "");
    case 'r': return job.value("state_reason", "");
    case 'R': {
      // Pending jobs show (Reason); others their node list, as squeue does.
      if (pending || job.value("nodes", "").empty()) return "(" + job.value("state_reason", "None") + ")";
      // Replicas are copies of the job on distinct providers, not nodes of one job: said so.
      std::string nodes = job.value("nodes", "");
      size_t names = split_list(nodes).size();
      if (job.value("replicas", 1) > 1 && names > 1) return nodes + " (" + std::to_string(names) + " replicas)";
      return nodes;
    }
    case 'V': return timestamp(job, "submit_time");
    case 'S':  // a pending job's planned start, when asked for (og-squeue --start)
      if (pending && job.contains("expected")) return timestamp(job["expected"], "start_time");
      return timestamp(job, "start_time");
    case 'Y': {
      if (!job.contains("expected")) return "(null)";
      return join(job["expected"].value("partitions", std::vector<std::string>{}), ",");
    }
    case 'c':
      return job.contains("expected") ? job["expected"].value("cost", std::string("N/A")) : "N/A";
    case 'e': return timestamp(job, "end_time");
    case 'k': return job.value("comment", "");
    case 'y': return std::to_string(job.value("nice", 0));
    default: return std::string("%") + c;
  }
}

std::string job_header(char c) {
  switch (c) {
    case 'i': return "JOBID";
    case 'A': return "JOBID";
    case 'P': return "PARTITION";
    case 'j': return "NAME";
    case 'u': return "USER";
    case 'a': return "ACCOUNT";
    case 'q': return "QOS";
    case 't': return "ST";
    case 'T': return "STATE";
    case 'M': return "TIME";
    case 'l': return "TIME_LIMIT";
    case 'D': return "NODES";
    case 'C': return "CPUS";
    case 'N': return "NODELIST";
    case 'r': return "REASON";
    case 'R': return "NODELIST(REASON)";
    case 'V': return "SUBMIT_TIME";
    case 'S': return "START_TIME";
    case 'e': return "END_TIME";
    case 'k': return "COMMENT";
    case 'y': return "NICE";
    case 'Y': return "SCHEDNODES";
    case 'c': return "COST";
    default: return std::string("%") + c;
  }
}

}  // namespace og::cli
