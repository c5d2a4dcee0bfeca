// What the og-* commands share: connecting to og-schedd, printing errors the Slurm way,
// and Slurm-style column formatting.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http_client.hpp"
#include "core/strings.hpp"

namespace og::cli {

// Connection options every command accepts: --url and --token-file.
struct Connection {
  std::string url;
  std::string token_file;
  // Consumes argv[i] (and its value) when it is a connection option.
  bool take(const std::vector<std::string>& args, size_t& i);
  HttpClient connect() const;
};

// What the listing commands (og-squeue, og-sinfo, og-sprio) share: the connection
// options, --help, -h/--noheader and --json.
struct ListingOptions {
  Connection conn;
  bool header = true;
  bool json = false;
  // Consumes args[i] when it is one of them; --help prints `help` and exits with 0.
  bool take(const std::vector<std::string>& args, size_t& i, const char* help);
};

// Runs body, turning errors into "PROG: error: MESSAGE" on stderr and exit status 1
// (2 for usage errors), as Slurm's commands do.
int run_command(const char* program, const std::function<int()>& body);
// The same, first answering --version (or -V, as Slurm's commands) given as the first argument.
int run_command(const char* program, int argc, char** argv, const std::function<int()>& body);

// "5" → 5 (at most a day); throws UsageError naming the option otherwise.
int64_t positive_seconds(const std::string& value, const std::string& option);
// "Sat Dec 05 17:50:00 2026": the line squeue -l and -i print above the table (UTC).
std::string clock_line(int64_t unix_s);

// Value of "--opt=value" / "--opt value" / "-o value" at args[i]; advances i.
bool take_value(const std::vector<std::string>& args, size_t& i, const std::string& long_name,
                const std::string& short_name, std::string& out);

// The jobs a list of job ids names, as Slurm's commands read them — 42, 42_7 (a task of
// array 42), 42_[1-3,7], separated by commas; an array's own id names each of its tasks —
// asked of og-schedd, by id. Throws og::UsageError for text that is no job id, and
// og::ApiError (NotFound) for an id that names no job og-schedd knows.
std::vector<nlohmann::json> jobs_named(HttpClient& client, const std::string& list);
std::vector<uint64_t> job_ids_named(HttpClient& client, const std::string& list);
// Each job id of such a list, as its own text ("1,2_[3,4]" → "1", "2_[3-4]").
std::vector<std::string> job_refs(const std::string& list);

using og::join;
using og::split_list;

// Slurm's format strings: "%.18i %.9P %8j" — '.' right-justifies, a number sets the
// width (values are cut to fit), '-' left-justifies. `field` maps a letter to a value.
std::string format_row(const std::string& format,
                       const std::function<std::string(char)>& field);

// The job id as Slurm prints it: "ARRAYID_TASK" for array tasks.
std::string display_job_id(const nlohmann::json& job);

}  // namespace og::cli
