// og-scancel: cancel jobs by id or by filter, as scancel does.
#include <iostream>

#include "cli/cli_common.hpp"
#include "core/error.hpp"
#include "core/http_client.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-scancel [OPTIONS] [JOBID...]

  -u, --user=USER        cancel this user's jobs
  -n, --name=NAME        cancel jobs with this name
  -t, --state=STATE      cancel jobs in this state (PENDING, RUNNING, ...)
  -p, --partition=NAME   cancel jobs on this partition
JOBID: 42 (a job, or every task of array 42), 42_7 (that task only), 42_[1-3,7].
      --url, --token-file
With filters and ids together, only the listed jobs that match are cancelled.
)";

bool cancellable(const nlohmann::json& job) {
  std::string s = job.value("job_state", "");
  return s == "PENDING" || s == "RUNNING" || s == "COMPLETING";
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-scancel", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    std::string user, name, state, partition;
    std::vector<std::string> ids;
    for (size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      if (conn.take(args, i)) continue;
      if (a == "-h" || a == "--help") {
        std::cout << kHelp;
        return 0;
      }
      if (og::cli::take_value(args, i, "--user", "-u", user)) continue;
      if (og::cli::take_value(args, i, "--name", "-n", name)) continue;
      if (og::cli::take_value(args, i, "--state", "-t", state)) continue;
      if (og::cli::take_value(args, i, "--partition", "-p", partition)) continue;
      if (!a.empty() && a[0] == '-') throw og::UsageError("unrecognized option " + a + " (see og-scancel --help)");
      ids.push_back(a);
    }
    bool filtered = !user.empty() || !name.empty() || !state.empty() || !partition.empty();
    if (ids.empty() && !filtered)
      throw og::UsageError("no job identification provided (give JOBID or -u/-n/-t/-p)");
    auto client = conn.connect();
    std::vector<uint64_t> targets;
    int status = 0;
    auto kill_error = [&](const std::string& id, const std::string& why) {
      std::cerr << "og-scancel: error: Kill job error on job id " << id << ": " << why << "\n";
      status = 1;
    };
    if (filtered || ids.empty()) {
      std::string query = "?job_id=" + og::url_encode(og::cli::join(ids, ",")) + "&user=" +
                          og::url_encode(user) + "&name=" + og::url_encode(name) + "&state=" +
                          og::url_encode(state) + "&partition=" + og::url_encode(partition);
      auto listed = client.call("GET", "/og/v1/jobs" + query);  // must outlive the loop
      for (const auto& job : listed["jobs"])
        if (cancellable(job)) targets.push_back(job["job_id"].get<uint64_t>());
    } else {
      // Each id as Slurm reads it: 42_7 is that task only, 42_[1-3] those, and an array's
      // own id every task of it.
      for (const auto& ref : og::cli::job_refs(og::cli::join(ids, ","))) {
        std::vector<nlohmann::json> named;
        try {
          named = og::cli::jobs_named(client, ref);
        } catch (const og::ApiError& e) {
          if (e.kind() != og::Refusal::NotFound) throw;
          kill_error(ref, "Invalid job id specified");
          continue;
        }
        // One job: asked of og-schedd whatever its state, which says why it cannot be.
        for (const auto& job : named)
          if (named.size() == 1 || cancellable(job)) targets.push_back(job["job_id"].get<uint64_t>());
      }
    }
    for (uint64_t id : targets) {
      try {
        client.call("DELETE", "/og/v1/jobs/" + std::to_string(id));
      } catch (const og::ApiError& e) {
        kill_error(std::to_string(id), e.what());
      }
    }
    return status;
  });
}
