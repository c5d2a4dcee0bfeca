// og-squeue: show queued, running and recently finished jobs, as squeue does.
#include <chrono>
#include <iostream>
#include <thread>
#include <map>
#include <vector>

#include "cli/cli_common.hpp"
#include "cli/job_fields.hpp"
#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "jobscripts/text.hpp"
#include "jobscripts/job_ref.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-squeue [OPTIONS]

  -j, --jobs=ID[,ID...]      only these jobs: 42, 42_7, 42_[1-3] (an array id selects all its tasks)
  -u, --user=USER[,USER...]  only these users' jobs (--me: yours)
  -t, --states=STATE[,...]   only jobs in these states (PD, R, CD, F, CA, TO, NF, ...)
  -p, --partition=NAME[,...] only jobs on these partitions
  -n, --name=NAME[,...]      only jobs with these names
  -o, --format=FORMAT        columns, as squeue: %i %P %j %u %t %T %M %l %D %C %R %N %r %V %S %e
                             and %Y (planned partitions), %c (expected cost)
  -O, --Format=FIELD[:[.]WIDTH],...  columns by squeue's names: JobID, Partition, Name,
                             UserName, State, StateCompact, TimeUsed, TimeLimit, NumNodes,
                             NumCPUs, NodeList, Reason, ReasonList, SubmitTime, StartTime,
                             EndTime, Account, QOS, Comment, Nice (width 20 unless given)
  -l, --long                 squeue -l's columns, under the time
  -i, --iterate=SECONDS      print again every SECONDS (until interrupted)
      --start                pending jobs with their expected start time and cost (as
                             planned now from time limits and priorities; N/A: not plannable)
  -r, --array                one line per array task (by default pending tasks of an
                             array share one line, 42_[2-5], as in squeue)
  -h, --noheader             no header line
      --json                 slurmrestd-shaped JSON: {"jobs":[...]}
      --url, --token-file    where og-schedd is and the credential
)";

constexpr const char* kDefaultFormat = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";
constexpr const char* kLongFormat = "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R";
constexpr const char* kStartFormat = "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %.10c %20Y %R";

// As squeue: an array's tasks still pending share one line (Slurm keeps them as one
// record, with one reason: here the first task's), where the first of them stands.
nlohmann::json fold_pending_tasks(const nlohmann::json& jobs) {
  nlohmann::json rows = nlohmann::json::array();
  std::map<uint64_t, std::pair<size_t, std::vector<uint32_t>>> pending;  // array → row, tasks
  for (const auto& job : jobs) {
    if (!job["array_task_id"].is_number() || job.value("job_state", "") != "PENDING") {
      rows.push_back(job);
      continue;
    }
    auto [it, first] = pending.try_emplace(job["array_job_id"].get<uint64_t>(), rows.size(), std::vector<uint32_t>{});
    if (first) rows.push_back(job);
    it->second.second.push_back(job["array_task_id"].get<uint32_t>());
  }
  for (auto& [key, row] : pending)
    if (row.second.size() > 1) rows[row.first]["array_tasks_folded"] = og::jobscripts::fold_task_ids(row.second);
  return rows;
}

// squeue -O "jobid,name:30,state:.10" as an -o format of the same letters.
std::string format_of_fields(const std::string& fields) {
  static const std::map<std::string, char> kLetters = {
      {"jobid", 'i'},      {"arrayjobid", 'A'}, {"partition", 'P'}, {"name", 'j'},        {"username", 'u'},
      {"state", 'T'},      {"statecompact", 't'}, {"timeused", 'M'}, {"timelimit", 'l'},   {"numnodes", 'D'},
      {"numcpus", 'C'},    {"nodelist", 'N'},   {"reason", 'r'},    {"reasonlist", 'R'},  {"submittime", 'V'},
      {"starttime", 'S'},  {"endtime", 'e'},    {"account", 'a'},   {"qos", 'q'},         {"comment", 'k'},
      {"nice", 'y'}};
  std::string format;
  for (const std::string& field : og::split_list(fields)) {
    std::string name = og::jobscripts::to_lower(field.substr(0, field.find(':')));
    auto letter = kLetters.find(name);
    if (letter == kLetters.end())
      throw og::UsageError("--Format: unknown field \"" + field.substr(0, field.find(':')) +
                           "\" (see og-squeue --help for the fields)");
    std::string size = field.find(':') == std::string::npos ? "20" : field.substr(field.find(':') + 1);
    bool right = !size.empty() && size[0] == '.';
    if (right) size.erase(0, 1);
    if (size.empty() || size.find_first_not_of("0123456789") != std::string::npos)
      throw og::UsageError("--Format: \"" + field + "\": the width after : must be a number");
    format += std::string("%") + (right ? "." : "-") + size + letter->second;
  }
  return format;
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-squeue", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::ListingOptions listing;
    std::string jobs, users, states, partitions, names, format = kDefaultFormat;
    bool me = false, start = false, expand = false, long_form = false;
    std::string fields, iterate;
    for (size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      if (listing.take(args, i, kHelp)) continue;
      if (a == "--me") me = true;
      else if (a == "--start") start = true;
      else if (a == "-r" || a == "--array") expand = true;
      else if (og::cli::take_value(args, i, "--jobs", "-j", jobs)) {}
      else if (og::cli::take_value(args, i, "--user", "-u", users)) {}
      else if (og::cli::take_value(args, i, "--states", "-t", states)) {}
      else if (og::cli::take_value(args, i, "--partition", "-p", partitions)) {}
      else if (og::cli::take_value(args, i, "--name", "-n", names)) {}
      else if (og::cli::take_value(args, i, "--format", "-o", format)) {}
      else if (og::cli::take_value(args, i, "--Format", "-O", fields)) format = format_of_fields(fields);
      else if (og::cli::take_value(args, i, "--iterate", "-i", iterate)) {}
      else if (a == "-l" || a == "--long") long_form = true;
      else throw og::UsageError("unrecognized option " + a + " (see og-squeue --help)");
    }
    if (!jobs.empty()) og::cli::job_refs(jobs);  // a malformed id is a usage error, as in og-scancel
    auto client = listing.conn.connect();
    if (me) users = client.call("GET", "/og/v1/ping").value("user", "");
    if (states == "all" || states == "ALL") states.clear();
    if (start) {
      if (states.empty()) states = "PD";
      if (format == kDefaultFormat) format = kStartFormat;
    }
    std::string query = "?job_id=" + og::url_encode(jobs) + "&user=" + og::url_encode(users) +
                        "&state=" + og::url_encode(states) + "&partition=" + og::url_encode(partitions) +
                        "&name=" + og::url_encode(names) + (start ? "&start=1" : "");
    if (long_form && format == kDefaultFormat) format = kLongFormat;
    int64_t every = iterate.empty() ? 0 : og::cli::positive_seconds(iterate, "--iterate");
    for (;;) {
      auto answer = client.call("GET", "/og/v1/jobs" + query);
      if (listing.json) {
        std::cout << answer.dump(2) << "\n";
      } else {
        if (long_form || every) std::cout << og::cli::clock_line(og::now_unix_s()) << "\n";
        if (listing.header) std::cout << og::cli::format_row(format, og::cli::job_header) << "\n";
        for (const auto& job : expand ? answer["jobs"] : fold_pending_tasks(answer["jobs"]))
          std::cout << og::cli::format_row(format, [&](char c) { return og::cli::job_field(job, c); }) << "\n";
      }
      if (!every) return 0;
      std::cout << "\n" << std::flush;
      std::this_thread::sleep_for(std::chrono::seconds(every));  // squeue -i: a refresh for a person
    }
  });
}
