#include "scheduler/sim/swf_trace.hpp"

#include <algorithm>
#include <charconv>
#include <istream>
#include <ostream>
#include <sstream>

#include "core/error.hpp"

namespace og::sim {
namespace {

constexpr const char* kFieldNames[18] = {
    "job number", "submit time", "wait time", "run time", "allocated processors", "average CPU time",
    "used memory", "requested processors", "requested time", "requested memory", "status", "user id",
    "group id", "executable number", "queue number", "partition number", "preceding job", "think time"};

}  // namespace

Trace read_swf(std::istream& in, const std::string& where) {
  Trace trace;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    if (line[first] == ';') {
      std::string comment = line.substr(first + 1);
      trace.header.push_back(comment);
      if (auto at = comment.find("MaxProcs:"); at != std::string::npos)
        trace.max_procs = static_cast<uint32_t>(std::strtoul(comment.c_str() + at + 9, nullptr, 10));
      continue;
    }
    std::istringstream fields(line);
    int64_t f[18];
    std::string token;
    for (int i = 0; i < 18; ++i) {
      if (!(fields >> token))
        throw UsageError(where + ":" + std::to_string(line_no) + ": " + std::to_string(i) +
                         " fields where SWF has 18 (missing: " + kFieldNames[i] + ")");
      // Some archive traces write a few fields as decimals (e.g. average CPU time): the
      // integer part is all the simulator needs.
      double value = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
      if (ec != std::errc() || end != token.data() + token.size())
        throw UsageError(where + ":" + std::to_string(line_no) + ": field " + std::to_string(i + 1) + " (" +
                         kFieldNames[i] + ") is \"" + token + "\", not a number");
      f[i] = static_cast<int64_t>(value);
    }
    TraceJob job;
    job.id = static_cast<uint64_t>(f[0]);
    job.submit_s = f[1];
    job.run_s = f[3];
    int64_t procs = f[7] > 0 ? f[7] : f[4];
    job.requested_s = f[8] > 0 ? f[8] : f[3];
    job.user = f[11];
    if (job.run_s <= 0 || procs <= 0 || job.submit_s < 0) {
      ++trace.skipped;  // cancelled before it ran, or not recorded
      continue;
    }
    job.cpus = static_cast<uint32_t>(procs);
    trace.jobs.push_back(job);
  }
  std::stable_sort(trace.jobs.begin(), trace.jobs.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit_s < b.submit_s; });
  return trace;
}

void write_swf(std::ostream& out, const Trace& trace) {
  for (const auto& h : trace.header) out << ";" << h << "\n";
  if (trace.max_procs > 0) out << "; MaxProcs: " << trace.max_procs << "\n";
  for (const auto& j : trace.jobs) {
    // Status 1: completed. Unknown fields are -1, as SWF wants.
    out << j.id << " " << j.submit_s << " -1 " << j.run_s << " " << j.cpus << " -1 -1 " << j.cpus << " "
        << j.requested_s << " -1 1 " << j.user << " -1 -1 -1 -1 -1 -1\n";
  }
}

}  // namespace og::sim
