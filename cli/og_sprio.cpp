// og-sprio: the priority of pending jobs and its factors, as sprio shows them.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/cli_common.hpp"
#include "core/error.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-sprio [OPTIONS]

Pending jobs, highest priority first, with each factor of the multifactor formula
(factors are 0..1 before their weights; the priority is their weighted sum minus nice).
  -j, --jobs=ID[,ID...]   only these jobs
  -u, --user=USER[,...]   only these users' jobs
  -h, --noheader          no header line
      --json              {"jobs":[{"job_id":…,"priority":…,"factors":{…}}]}
      --url, --token-file
)";

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-sprio", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::ListingOptions listing;
    std::string jobs, users;
    for (size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      if (listing.take(args, i, kHelp)) continue;
      if (og::cli::take_value(args, i, "--jobs", "-j", jobs)) {}
      else if (og::cli::take_value(args, i, "--user", "-u", users)) {}
      else throw og::UsageError("unrecognized option " + a + " (see og-sprio --help)");
    }
    auto answer = listing.conn.connect().call("GET", "/og/v1/priority");
    auto wanted_ids = og::cli::split_list(jobs);
    auto wanted_users = og::cli::split_list(users);
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& j : answer["jobs"]) {
      std::string id = std::to_string(j.value("job_id", uint64_t{0}));
      bool id_ok = wanted_ids.empty() || std::find(wanted_ids.begin(), wanted_ids.end(), id) != wanted_ids.end();
      bool user_ok = wanted_users.empty() ||
                     std::find(wanted_users.begin(), wanted_users.end(), j.value("user_name", "")) != wanted_users.end();
      if (id_ok && user_ok) kept.push_back(j);
    }
    if (listing.json) {
      std::cout << nlohmann::json{{"jobs", kept}}.dump(2) << "\n";
      return 0;
    }
    if (listing.header) std::printf("%12s %-10s %-8s %10s %8s %9s %8s %8s %6s\n", "JOBID", "PARTITION", "USER",
                            "PRIORITY", "AGE", "FAIRSHARE", "JOBSIZE", "QOS", "NICE");
    for (const auto& j : kept) {
      const auto& f = j["factors"];
      std::printf("%12s %-10.10s %-8.8s %10lld %8.4f %9.4f %8.4f %8.4f %6lld\n",
                  og::cli::display_job_id(j).c_str(), j.value("partition", "").c_str(),
                  j.value("user_name", "").c_str(), static_cast<long long>(j.value("priority", int64_t{0})),
                  f.value("age", 0.0), f.value("fairshare", 0.0), f.value("job_size", 0.0), f.value("qos", 0.0),
                  static_cast<long long>(f.value("nice", int64_t{0})));
    }
    return 0;
  });
}
