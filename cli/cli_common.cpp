#include "cli/cli_common.hpp"

#include <cstdlib>
#include <ctime>
#include <map>
#include <iostream>

#include "core/client_config.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "jobscripts/job_ref.hpp"

namespace og::cli {

std::vector<std::string> job_refs(const std::string& list) {
  std::vector<std::string> out;
  for (const auto& ref : jobscripts::parse_job_refs(list)) out.push_back(jobscripts::to_string(ref));
  if (out.empty()) throw UsageError("no job id given (a job id is a number, 42, or tasks of an array: 42_7)");
  return out;
}

std::vector<nlohmann::json> jobs_named(HttpClient& client, const std::string& list) {
  std::map<uint64_t, nlohmann::json> by_id;
  for (const auto& ref : job_refs(list)) {
    auto listed = client.call("GET", "/og/v1/jobs?job_id=" + url_encode(ref));
    if (listed["jobs"].empty())
      throw ApiError(Refusal::NotFound, "invalid_job_id", "Invalid job id specified: " + ref + " (no such job)");
    for (auto& job : listed["jobs"]) by_id[job["job_id"].get<uint64_t>()] = job;
  }
  std::vector<nlohmann::json> jobs;
  for (auto& [id, job] : by_id) jobs.push_back(std::move(job));
  return jobs;
}

std::vector<uint64_t> job_ids_named(HttpClient& client, const std::string& list) {
  std::vector<uint64_t> ids;
  for (const auto& job : jobs_named(client, list)) ids.push_back(job["job_id"].get<uint64_t>());
  return ids;
}

bool take_value(const std::vector<std::string>& args, size_t& i, const std::string& long_name,
                const std::string& short_name, std::string& out) {
  const std::string& a = args[i];
  if (!long_name.empty() && a.rfind(long_name + "=", 0) == 0) {
    out = a.substr(long_name.size() + 1);
    return true;
  }
  bool matches = (!long_name.empty() && a == long_name) || (!short_name.empty() && a == short_name);
  if (matches) {
    if (i + 1 >= args.size()) throw UsageError("option " + a + " needs a value");
    out = args[++i];
    return true;
  }
  // Short option glued to its value: -u alice → -ualice.
  if (!short_name.empty() && a.size() > short_name.size() && a.rfind(short_name, 0) == 0 &&
      a[1] != '-') {
    out = a.substr(short_name.size());
    return true;
  }
  return false;
}

bool Connection::take(const std::vector<std::string>& args, size_t& i) {
  return take_value(args, i, "--url", "", url) || take_value(args, i, "--token-file", "", token_file);
}

HttpClient Connection::connect() const {
  auto cfg = resolve_client_config(url, token_file);
  return HttpClient(cfg.url, cfg.token, cfg.ca_file);
}

bool ListingOptions::take(const std::vector<std::string>& args, size_t& i, const char* help) {
  const std::string& a = args[i];
  if (conn.take(args, i)) return true;
  if (a == "--help") {
    std::cout << help;
    std::exit(0);
  }
  if (a == "-h" || a == "--noheader") header = false;
  else if (a == "--json") json = true;
  else return false;
  return true;
}

int run_command(const char* program, int argc, char** argv, const std::function<int()>& body) {
  if (argc > 1 && (std::string(argv[1]) == "--version" || std::string(argv[1]) == "-V")) {
    std::cout << program << " " << OG_VERSION << " (OpenGrid; Slurm 22.05's commands and job scripts)\n";
    return 0;
  }
  return run_command(program, body);
}

int run_command(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return 2;
  } catch (const ApiError& e) {
    std::cerr << program << ": error: " << e.what() << " [" << e.code() << "]\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return 1;
  }
}

int64_t positive_seconds(const std::string& value, const std::string& option) {
  if (value.empty() || value.size() > 5 || value.find_first_not_of("0123456789") != std::string::npos ||
      std::stol(value) == 0 || std::stol(value) > 86400)
    throw UsageError(option + ": expected a number of seconds (1 to 86400), got \"" + value + "\"");
  return std::stol(value);
}

std::string clock_line(int64_t unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S %Y", &utc);
  return text;
}

std::string format_row(const std::string& format, const std::function<std::string(char)>& field) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    ++i;
    bool right = false;
    if (format[i] == '.') {
      right = true;
      ++i;
    } else if (format[i] == '-') {
      ++i;
    }
    size_t width = 0;
    while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i])))
      width = width * 10 + static_cast<size_t>(format[i++] - '0');
    if (i >= format.size()) break;
    if (format[i] == '%') {
      out += '%';
      continue;
    }
    // Values come from other users and providers (names, comments): printed inert.
    std::string value = printable(field(format[i]));
    if (width > 0) {
      if (value.size() > width) value.resize(width);
      std::string pad(width - value.size(), ' ');
      value = right ? pad + value : value + pad;
    }
    out += value;
  }
  return out;
}

std::string display_job_id(const nlohmann::json& job) {
  if (job.contains("array_tasks_folded"))  // og-squeue's line for pending tasks: 42_[2-5]
    return std::to_string(job["array_job_id"].get<uint64_t>()) + "_[" + job["array_tasks_folded"].get<std::string>() + "]";
  if (job.contains("array_task_id") && job["array_task_id"].is_number())
    return std::to_string(job["array_job_id"].get<uint64_t>()) + "_" +
           std::to_string(job["array_task_id"].get<int64_t>());
  return std::to_string(job["job_id"].get<uint64_t>());
}

}  // namespace og::cli
