// og-scontrol: administrative actions on jobs and partitions, as scontrol does.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/job_fields.hpp"
#include "cli/partition_fields.hpp"
#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "jobscripts/time_spec.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-scontrol COMMAND ...

  hold JOBID[,JOBID...]            keep pending jobs from starting
  release JOBID[,JOBID...]         let held jobs start
  requeue JOBID[,JOBID...]         stop running jobs and put them back in the queue
  update JobId=N [TimeLimit=T] [Nice=N] [Partition=P[,P]] [MaxPrice=AMOUNT]
                                   change a pending job (T in sbatch --time forms;
                                   Partition= empty: any; MaxPrice per CPU-hour: its
                                   escrow is topped up from your wallet, or the rest
                                   returned)
  show job JOBID [--json]          a job in full: its replicas and its history (events)
  show partition [NAME]            partitions (providers' offers), as scontrol shows them
  show node [NAME]                 the same offers as nodes
  dispute JOBID                    contest a finished job's accepted result: established
                                   providers re-run it (an audit job, paid like any job);
                                   if they find otherwise, those who agreed are slashed
  drain PARTITION / resume PARTITION   stop / restart giving a partition new work
  add-user NAME [user|worker|admin]    create a credential (admin only); prints the token
  --url, --token-file
)";

// Memory as scontrol writes it: 2G when whole gibibytes, else 500M.
// " GRES=gpu(IDX:0,1)" for a replica holding GPUs 0 and 1 of its partition, as scontrol -d.
std::string gpu_ids(const nlohmann::json& replica) {
  std::vector<std::string> ids;
  for (const auto& i : replica.value("gpu_indices", nlohmann::json::array())) ids.push_back(i.dump());
  return ids.empty() ? "" : " GRES=gpu(IDX:" + og::join(ids, ",") + ")";
}

// "   GresUsed=gpu:h100:1(IDX:0)\n" as scontrol show node -d prints it; "" without GPUs told apart.
std::string gres_used(const nlohmann::json& p) {
  std::vector<std::pair<std::string, std::vector<std::string>>> models;  // model → allocated indices
  for (const auto& g : p.value("gpu_devices", nlohmann::json::array())) {
    std::string model = g.value("model", "");
    auto it = std::find_if(models.begin(), models.end(), [&](const auto& m) { return m.first == model; });
    if (it == models.end()) it = models.insert(models.end(), {model, {}});
    if (g.value("allocated", false)) it->second.push_back(std::to_string(g.value("index", 0)));
  }
  if (models.empty()) return "";
  std::string out;
  for (const auto& [model, used] : models)
    out += (out.empty() ? "" : ",") + ("gpu:" + og::printable(model) + ":" + std::to_string(used.size()) + "(IDX:" +
                                       (used.empty() ? "N/A" : og::join(used, ",")) + ")");
  return "   GresUsed=" + out + "\n";
}

std::string slurm_memory(uint64_t mb) {
  return mb > 0 && mb % 1024 == 0 ? std::to_string(mb / 1024) + "G" : std::to_string(mb) + "M";
}

// scontrol's "Key=Value" lines under Slurm's own names, then one line per replica lease.
void print_job(const nlohmann::json& job) {
  auto text = [&](const char* key) {
    const auto& v = job[key];
    return og::printable(v.is_string() ? v.get<std::string>() : v.dump());  // names are other people's text
  };
  auto number = [&](const char* key) { return job.value(key, uint64_t{0}); };
  auto or_null = [&](const char* key) {
    std::string v = text(key);
    return v.empty() || v == "null" ? std::string("(null)") : v;
  };
  int64_t limit = job.value("time_limit_s", int64_t{0});
  auto timestamp = [&](const char* key) {
    int64_t t = job.value(key, int64_t{0});
    return t > 0 ? og::iso8601_utc(t).substr(0, 19) : std::string("Unknown");
  };
  // 0 asks for a majority of the replicas, as --quorum's default.
  uint64_t quorum = number("quorum") ? number("quorum") : number("replicas") / 2 + 1;
  std::string tres = "cpu=" + std::to_string(number("cpus")) + ",mem=" + slurm_memory(number("memory_mb")) +
                     ",node=" + std::to_string(number("node_count"));
  if (number("gpus") > 0) tres += ",gres/gpu=" + std::to_string(number("gpus"));
  std::cout << "JobId=" << text("job_id") << " JobName=" << text("name") << "\n";
  if (job["array_task_id"].is_number())
    std::cout << "   ArrayJobId=" << text("array_job_id") << " ArrayTaskId=" << text("array_task_id")
              << " ArrayTaskThrottle=" << text("array_task_throttle") << "\n";
  std::cout << "   UserId=" << text("user_name") << " Account=" << text("account")
            << " QOS=" << text("qos") << " Nice=" << text("nice") << "\n"
            << "   JobState=" << text("job_state") << " Reason=" << text("state_reason")
            << " Dependency=" << or_null("dependency") << "\n"
            << "   Requeue=" << (job.value("requeue", true) ? 1 : 0) << " Restarts=" << text("requeue_count")
            << " ExitCode=" << text("exit_code") << ":0\n"
            << "   RunTime=" << og::format_elapsed(og::cli::job_elapsed_s(job), false)
            << " TimeLimit=" << (limit < 0 ? std::string("UNLIMITED") : og::format_elapsed(limit, false))
            << " Partition=" << text("partition") << "\n"
            << "   SubmitTime=" << timestamp("submit_time") << " StartTime=" << timestamp("start_time")
            << " EndTime=" << timestamp("end_time") << "\n"
            << "   NumNodes=" << text("node_count");
  if (number("node_count_max") != number("node_count")) std::cout << "-" << text("node_count_max");
  std::cout << " NumCPUs=" << text("cpus") << " NumTasks=" << text("tasks") << " CPUs/Task=" << text("cpus_per_task")
            << "\n   TRES=" << tres << "\n";
  if (number("gpus") > 0) {  // as sbatch took it: per node (--gres, --gpus-per-node), else per job
    std::string type = text("gpu_type").empty() ? "" : text("gpu_type") + ":";
    bool per_node = number("gpus_per_node") > 0;
    std::cout << (per_node ? "   TresPerNode=gres:gpu:" : "   TresPerJob=gres:gpu:") << type
              << (per_node ? number("gpus_per_node") : number("gpus"));
    if (number("gpu_memory_mb") > 0) std::cout << " GpuMem=" << slurm_memory(number("gpu_memory_mb"));
    if (!text("cuda_version").empty()) std::cout << " Cuda=" << text("cuda_version");
    std::cout << "\n";
  }
  if (number("memory_per_cpu_mb") > 0) std::cout << "   MinMemoryCPU=" << slurm_memory(number("memory_per_cpu_mb")) << "\n";
  else std::cout << "   MinMemoryNode=" << (number("memory_per_node_mb") ? slurm_memory(number("memory_per_node_mb")) : "0") << "\n";
  std::cout << "   WorkDir=" << or_null("current_working_directory") << "\n"
            << "   StdOut=" << or_null("standard_output") << " StdErr=" << or_null("standard_error")
            << " Export=" << text("export") << "\n"
            << "   Replicas=" << text("replicas") << " Quorum=" << quorum << " MaxPrice=" << text("max_price") << "\n"
            << "   CanonicalRoot=" << text("canonical_root") << "\n";
  if (!text("container_image").empty()) std::cout << "   ContainerImage=" << text("container_image") << "\n";
  const nlohmann::json data = job.value("data", nlohmann::json::object());  // must outlive the loop over it
  for (const auto& [name, ref] : data.items()) std::cout << "   Data=" << name << ":" << ref.get<std::string>() << "\n";
  for (const auto& r : job["replica_leases"])
    std::cout << "   Lease=" << r["lease_id"].dump() << " Partition=" << r["partition"].get<std::string>()
              << " State=" << r["state"].get<std::string>() << " Outcome=" << r["outcome"].get<std::string>()
              << " ExitCode=" << r["exit_code"].dump() << " Root=" << r["root"].get<std::string>()
              << gpu_ids(r) << "\n";
  if (!text("verify").empty() && text("verify") != "exact") std::cout << "   Verify=" << text("verify") << "\n";
  for (const auto& v : job.value("validations", nlohmann::json::array())) {  // --verify=score
    std::cout << "   Validation=" << v["lease_id"].dump() << " Partition=" << v["partition"].get<std::string>()
              << " State=" << v["state"].get<std::string>() << " Scores=";
    std::string scores;
    const nlohmann::json given = v.value("scores", nlohmann::json::object());  // must outlive the loop over it
    for (const auto& [lease, score] : given.items()) {
      char text[48];
      std::snprintf(text, sizeof text, "%s:%.3f", lease.c_str(), score.get<double>());
      scores += (scores.empty() ? "" : ",") + std::string(text);
    }
    std::cout << (scores.empty() ? "(null)" : scores) << "\n";
  }
  if (!job.contains("events")) {
    std::cout << "   Events: shown to the job's owner and admins\n";
    return;
  }
  std::cout << "   Events:\n";
  for (const auto& e : job["events"])
    std::cout << "     " << og::iso8601_utc_us(e["time_us"].get<int64_t>()) << " " << og::printable(e["text"].get<std::string>())
              << "\n";
}

// scontrol show partition / show node: a provider's offer under Slurm's names.
void print_partitions(const nlohmann::json& partitions, const std::string& only, bool as_nodes) {
  bool first = true;
  for (const auto& p : partitions) {
    std::string name = og::printable(p.value("name", ""));
    if (!only.empty() && name != only) continue;
    if (!first) std::cout << "\n";
    first = false;
    std::string state = p.value("state", "");
    int cpus = p.value("cpus", 0), used = p.value("cpus_allocated", 0), nodes = p.value("nodes", 1);
    std::string gres = og::cli::partition_field(p, 'G'), features = og::cli::partition_field(p, 'f');
    if (as_nodes) {
      std::string node_state = state == "UP" ? (used == 0 ? "IDLE" : used >= cpus ? "ALLOCATED" : "MIXED")
                               : state == "DRAIN" ? "DRAINED"
                                                  : state == "UNKNOWN" ? "UNKNOWN" : "DOWN";
      std::cout << "NodeName=" << name << " CPUAlloc=" << used << " CPUTot=" << cpus << "\n"
                << "   AvailableFeatures=" << features << " ActiveFeatures=" << features << "\n"
                << "   Gres=" << gres << "\n" << gres_used(p)
                << "   RealMemory=" << p.value("memory_mb", 0) << " Boards=" << nodes << "\n"
                << "   State=" << node_state << " Partitions=" << name << "\n"
                << "   Owner=" << og::printable(p.value("owner", "")) << " Isolation=" << p.value("isolation", "")
                << "\n";
      continue;
    }
    std::cout << "PartitionName=" << name << "\n"
              << "   AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL\n"
              << "   Default=NO MaxNodes=" << nodes << " MaxTime=UNLIMITED MinNodes=0\n"
              << "   Nodes=" << name << "\n"
              << "   State=" << (state == "UP" ? "UP" : state == "DRAIN" ? "DRAIN" : "DOWN") << " TotalCPUs=" << cpus
              << " TotalNodes=" << nodes << "\n"
              << "   TRES=cpu=" << cpus << ",mem=" << slurm_memory(p.value("memory_mb", 0)) << ",node=" << nodes
              << (p.value("gpus", 0) > 0 ? ",gres/gpu=" + std::to_string(p.value("gpus", 0)) : std::string()) << "\n"
              << "   PricePerCPUHour=" << p.value("price_per_cpu_hour", "") << " PricePerGPUHour="
              << p.value("price_per_gpu_hour", "") << " Owner=" << og::printable(p.value("owner", "")) << "\n";
  }
  if (first && !only.empty()) throw og::UsageError("no partition named \"" + only + "\" (og-sinfo lists them)");
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-scontrol", argc, argv, [&]() -> int {
    std::vector<std::string> args, raw(argv + 1, argv + argc);
    og::cli::Connection conn;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (conn.take(raw, i)) continue;
      if (raw[i] == "-h" || raw[i] == "--help") {
        std::cout << kHelp;
        return 0;
      }
      args.push_back(raw[i]);
    }
    if (args.size() < 2) throw og::UsageError("missing command (see og-scontrol --help)");
    auto client = conn.connect();
    const std::string& cmd = args[0];
    if (cmd == "update") {
      std::string id;
      nlohmann::json body = nlohmann::json::object();
      for (size_t i = 1; i < args.size(); ++i) {
        auto eq = args[i].find('=');
        if (eq == std::string::npos) throw og::UsageError("update takes KEY=VALUE pairs, not \"" + args[i] + "\"");
        std::string key = args[i].substr(0, eq), value = args[i].substr(eq + 1);
        for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (key == "jobid") id = value;
        else if (key == "timelimit") body["time_limit_s"] = og::jobscripts::parse_time_limit(value);
        else if (key == "partition") body["partition"] = value;
        else if (key == "maxprice") body["max_price"] = value;
        else if (key == "nice") {
          try {
            body["nice"] = std::stoll(value);
          } catch (const std::exception&) {
            throw og::UsageError("Nice=" + value + " is not a number");
          }
        } else throw og::UsageError("update: unknown field " + args[i].substr(0, eq) + " (JobId, TimeLimit, Nice, Partition, MaxPrice)");
      }
      if (id.empty()) throw og::UsageError("update needs JobId=N");
      for (uint64_t each : og::cli::job_ids_named(client, id))
        client.call("POST", "/og/v1/jobs/" + std::to_string(each) + "/update", body);
      return 0;
    }
    if (cmd == "dispute") {
      auto ids = og::cli::job_ids_named(client, args[1]);
      if (ids.size() != 1) throw og::UsageError(args[1] + " names several jobs: dispute one task at a time");
      auto r = client.call("POST", "/og/v1/jobs/" + std::to_string(ids.front()) + "/dispute");
      std::cout << "Job " << args[1] << " disputed: audit job " << r["job_id"].get<uint64_t>()
                << " re-runs it on established providers (og-squeue -j " << r["job_id"].get<uint64_t>() << ")\n";
      return 0;
    }
    if (cmd == "requeue") {
      for (uint64_t id : og::cli::job_ids_named(client, args[1]))
        client.call("POST", "/og/v1/jobs/" + std::to_string(id) + "/requeue");
      return 0;
    }
    if (cmd == "hold" || cmd == "release") {
      for (uint64_t id : og::cli::job_ids_named(client, args[1]))
        client.call("POST", "/og/v1/jobs/" + std::to_string(id) + "/" + cmd);
      return 0;
    }
    if (cmd == "show" && args.size() >= 3 && args[1] == "job") {
      // An array's id shows each of its tasks, as scontrol does.
      nlohmann::json shown = {{"jobs", nlohmann::json::array()}};
      for (uint64_t id : og::cli::job_ids_named(client, args[2])) {
        auto job = client.call("GET", "/og/v1/jobs/" + std::to_string(id))["jobs"][0];
        try {  // its history, as `flux job eventlog` shows it: the owner's and admins' to read
          job["events"] = client.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/events")["events"];
        } catch (const og::ApiError& e) {
          if (e.kind() != og::Refusal::Forbidden) throw;
        }
        shown["jobs"].push_back(std::move(job));
      }
      if (args.size() > 3 && args[3] == "--json") {
        std::cout << shown.dump(2) << "\n";
        return 0;
      }
      for (size_t i = 0; i < shown["jobs"].size(); ++i) {
        if (i > 0) std::cout << "\n";
        print_job(shown["jobs"][i]);
      }
      return 0;
    }
    if (cmd == "show" && (args[1] == "partition" || args[1] == "partitions" || args[1] == "node" || args[1] == "nodes")) {
      print_partitions(client.call("GET", "/og/v1/partitions")["partitions"], args.size() > 2 ? args[2] : "",
                       args[1].starts_with("node"));
      return 0;
    }
    if (cmd == "show" && args[1] == "job" && args.size() < 3)
      throw og::UsageError("show job needs a job id (og-squeue lists your jobs)");
    if (cmd == "drain" || cmd == "resume") {
      client.call("POST", "/og/v1/partitions/" + og::url_encode(args[1]) + "/" + cmd);
      return 0;
    }
    if (cmd == "add-user") {
      std::string role = args.size() > 2 ? args[2] : "user";
      std::cout << client.call("POST", "/og/v1/users", {{"name", args[1]}, {"role", role}})["token"].get<std::string>() << "\n";
      return 0;
    }
    throw og::UsageError("unknown command \"" + cmd + "\" (see og-scontrol --help)");
  });
}
