// og-sacct: accounting for jobs, finished ones kept for ever, as sacct does.
#include <ctime>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/job_fields.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "jobscripts/begin_time.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-sacct [OPTIONS]

  -j, --jobs=ID[,ID...]        only these jobs: 42, 42_7, 42_[1-3] (an array id: all its tasks)
  -u, --user=USER[,...]        only these users
  -s, --state=STATE[,...]      only jobs in these states
  -S, --starttime=TIME         jobs running or ended since TIME (default: midnight UTC);
                               YYYY-MM-DD[THH:MM[:SS]], HH:MM, now-N[minutes|hours|days]
  -P, --payment                what each job cost: verdict, cost, protocol fee, providers
                               paid and the canonical result's hash
  -T, --trust                  what ran where, vouched for by whom: the sandbox level of
                               the providers that ran it, its network, the SHA-256 of
                               its bundle and the requester's signing key
  -n, --noheader               no header lines
      --json                   slurmrestd-shaped JSON: {"jobs":[...]}
      --url, --token-file
)";

std::string col(std::string s, size_t w) {
  s = og::printable(s);  // names and comments are other people's text
  if (s.size() > w) s = s.substr(0, w - 1) + "+";
  return std::string(w - s.size(), ' ') + s;
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-sacct", [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    std::string jobs, users, states, start;
    bool header = true, json = false, payment = false, trust = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      if (conn.take(args, i)) continue;
      if (a == "-h" || a == "--help") {
        std::cout << kHelp;
        return 0;
      }
      if (a == "-n" || a == "--noheader") header = false;
      else if (a == "--json") json = true;
      else if (a == "--payment" || a == "-P") payment = true;
      else if (a == "--trust" || a == "-T") trust = true;
      else if (a == "-X" || a == "--allocations") {}  // no job steps here: always allocations
      else if (og::cli::take_value(args, i, "--jobs", "-j", jobs)) {}
      else if (og::cli::take_value(args, i, "--user", "-u", users)) {}
      else if (og::cli::take_value(args, i, "--state", "-s", states)) {}
      else if (og::cli::take_value(args, i, "--starttime", "-S", start)) {}
      else throw og::UsageError("unrecognized option " + a + " (see og-sacct --help)");
    }
    int64_t now = og::now_unix_s();
    int64_t since = start.empty() ? now - now % 86400 : og::jobscripts::parse_begin_time(start, now);
    if (!jobs.empty()) og::cli::job_refs(jobs);  // a malformed id is a usage error, as in og-scancel
    // Asking for jobs by id means all of their history, as sacct -j does.
    if (!jobs.empty() && start.empty()) since = 0;
    std::string query = "?since=" + std::to_string(std::max<int64_t>(since, 1)) + "&job_id=" +
                        og::url_encode(jobs) + "&user=" + og::url_encode(users) + "&state=" +
                        og::url_encode(states);
    auto answer = conn.connect().call("GET", "/og/v1/accounting" + query);
    if (json) {
      std::cout << answer.dump(2) << "\n";
      return 0;
    }
    if (payment) {
      if (header)
        std::cout << col("JobID", 12) << ' ' << col("State", 11) << ' ' << col("Verdict", 17) << ' ' << col("Cost", 12)
                  << ' ' << col("Fee", 10) << ' ' << col("PaidTo", 32) << ' ' << col("Canonical", 16) << "\n";
      for (const auto& job : answer["jobs"]) {
        std::string root = job.value("canonical_root", "");
        // Agreed: a quorum of replicas returned this result; otherwise why not.
        std::string verdict = !root.empty() ? "agreed" : job.value("state_reason", "");
        bool settled = job.value("settled", false);
        std::cout << col(og::cli::display_job_id(job), 12) << ' ' << col(job.value("job_state", ""), 11) << ' '
                  << col(verdict, 17) << ' ' << col(settled ? job.value("cost", "") : "pending", 12) << ' '
                  << col(settled ? job.value("fee", "") : "", 10) << ' ' << col(job.value("paid_to", ""), 32) << ' '
                  << col(root.substr(0, 16), 16) << "\n";
      }
      return 0;
    }
    if (trust) {
      if (header)
        std::cout << col("JobID", 12) << ' ' << col("State", 13) << ' ' << col("Isolation", 11) << ' '
                  << col("Network", 8) << ' ' << col("Bundle", 16) << ' ' << col("Signer", 16) << "\n";
      for (const auto& job : answer["jobs"]) {
        std::string bundle = job.value("bundle_sha256", ""), signer = job.value("signer", "");
        std::cout << col(og::cli::display_job_id(job), 12) << ' ' << col(job.value("job_state", ""), 13) << ' '
                  << col(job.value("isolation", ""), 11) << ' ' << col(job.value("network", ""), 8) << ' '
                  << col(bundle.empty() ? "-" : bundle.substr(0, 16), 16) << ' '
                  << col(signer.empty() ? "unsigned" : signer.substr(0, 16), 16) << "\n";
      }
      return 0;
    }
    if (header) {
      std::cout << col("JobID", 12) << ' ' << col("JobName", 10) << ' ' << col("Partition", 10) << ' '
                << col("Account", 10) << ' ' << col("State", 13) << ' ' << col("ExitCode", 8) << ' '
                << col("Elapsed", 10) << ' ' << col("NodeList", 24) << "\n";
      std::cout << std::string(12, '-') << ' ' << std::string(10, '-') << ' ' << std::string(10, '-') << ' '
                << std::string(10, '-') << ' ' << std::string(13, '-') << ' ' << std::string(8, '-') << ' '
                << std::string(10, '-') << ' ' << std::string(24, '-') << "\n";
    }
    for (const auto& job : answer["jobs"]) {
      int code = job.value("exit_code", 0);
      // sacct prints exit code and signal; scripts killed by a signal report 128+N.
      std::string exit = code > 128 ? "0:" + std::to_string(code - 128) : std::to_string(code) + ":0";
      std::cout << col(og::cli::display_job_id(job), 12) << ' ' << col(job.value("name", ""), 10) << ' '
                << col(job.value("partition", ""), 10) << ' ' << col(job.value("account", ""), 10) << ' '
                << col(job.value("job_state", ""), 13) << ' ' << col(exit, 8) << ' '
                << col(og::format_elapsed(og::cli::job_elapsed_s(job), false), 10) << ' '
                << col(job.value("nodes", ""), 24) << "\n";
    }
    return 0;
  });
}
