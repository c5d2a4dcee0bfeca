// og-sacct: accounting for jobs, finished ones kept for ever, as sacct does.
#include <climits>
#include <ctime>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/job_fields.hpp"
#include "cli/sacct_format.hpp"
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
                               YYYY-MM-DD[THH:MM[:SS]], HH:MM (the last time the clock
                               showed it), midnight, noon, yesterday, now-N[minutes|hours|days]
  -E, --endtime=TIME           only jobs that started (or were submitted) before TIME
  -o, --format=FIELD[%W],...   the columns, by sacct's field names (-e lists them), e.g.
                               -o jobid,jobname%20,state,elapsed,ncpus,nodelist
  -e, --helpformat             the field names --format takes
  -p, --parsable               fields separated by |, one more at the end; --parsable2
                               without it (as sacct)
  -X, --allocations            (always: OpenGrid jobs have no separate steps here)
  -P, --payment                what each job cost: verdict, cost, protocol fee, validators'
                               pay (--verify=score), providers paid
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
  return og::cli::run_command("og-sacct", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    std::string jobs, users, states, start, end, format = og::cli::kDefaultSacctFormat;
    bool header = true, json = false, payment = false, trust = false;
    std::string separator;  // "" : aligned columns; "|" : --parsable(2)
    bool trailing_separator = false;
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
      else if (og::cli::take_value(args, i, "--endtime", "-E", end)) {}
      else if (og::cli::take_value(args, i, "--format", "-o", format)) {}
      else if (a == "-e" || a == "--helpformat") {
        std::cout << og::cli::sacct_field_names() << "\n";
        return 0;
      } else if (a == "-p" || a == "--parsable" || a == "--parsable2") {
        separator = "|";
        trailing_separator = a != "--parsable2";
      }
      else throw og::UsageError("unrecognized option " + a + " (see og-sacct --help)");
    }
    int64_t now = og::now_unix_s();
    int64_t since = start.empty() ? now - now % 86400 : og::jobscripts::parse_past_time(start, now);
    int64_t until = end.empty() ? INT64_MAX : og::jobscripts::parse_past_time(end, now);
    auto columns = og::cli::parse_sacct_format(format);  // a bad field is said before asking
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
                  << ' ' << col("Fee", 10) << ' ' << col("Validators", 10) << ' ' << col("PaidTo", 32) << ' '
                  << col("Canonical", 16) << "\n";
      for (const auto& job : answer["jobs"]) {
        std::string root = job.value("canonical_root", "");
        // Agreed: a quorum of replicas returned this result; scored: validators scored it
        // best (--verify=score); otherwise why not.
        bool scored = job.value("verify", "").rfind("score:", 0) == 0;
        std::string verdict = root.empty() ? job.value("state_reason", "") : scored ? "scored" : "agreed";
        bool settled = job.value("settled", false);
        std::cout << col(og::cli::display_job_id(job), 12) << ' ' << col(job.value("job_state", ""), 11) << ' '
                  << col(verdict, 17) << ' ' << col(settled ? job.value("cost", "") : "pending", 12) << ' '
                  << col(settled ? job.value("fee", "") : "", 10) << ' '
                  << col(settled && scored ? job.value("validator_pay", "") : "-", 10) << ' ' << col(job.value("paid_to", ""), 32) << ' '
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
    auto cell = [&](const std::string& text, size_t width) {
      return separator.empty() ? col(text, width) : og::printable(text);
    };
    auto line = [&](auto text_of) {
      std::string out;
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c) out += separator.empty() ? " " : separator;
        out += cell(text_of(columns[c]), columns[c].width);
      }
      std::cout << out << (trailing_separator ? separator : "") << "\n";
    };
    if (header) {
      line([](const og::cli::SacctColumn& c) { return c.name; });
      if (separator.empty()) line([](const og::cli::SacctColumn& c) { return std::string(c.width, '-'); });
    }
    for (const auto& job : answer["jobs"]) {
      int64_t began = job.value("start_time", int64_t{0});
      if ((began ? began : job.value("submit_time", int64_t{0})) > until) continue;
      line([&](const og::cli::SacctColumn& c) { return og::cli::sacct_value(job, c); });
    }
    return 0;
  });
}
