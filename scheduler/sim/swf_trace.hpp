// Workload traces in the Standard Workload Format (SWF) of the Parallel Workloads Archive:
// one job per line, 18 whitespace-separated fields, -1 for unknown; header lines start
// with ';' (";  MaxProcs: 128" gives the machine's size).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace og::sim {

struct TraceJob {
  uint64_t id = 0;
  int64_t submit_s = 0;     // field 2
  int64_t run_s = 0;        // field 4
  uint32_t cpus = 0;        // field 8 (requested processors), else 5 (allocated)
  int64_t requested_s = 0;  // field 9 (requested time, the job's limit), else its run time
  int64_t user = -1;        // field 12
};

struct Trace {
  std::vector<TraceJob> jobs;  // by submit time
  uint32_t max_procs = 0;      // from the header, 0 when it gives none
  size_t skipped = 0;          // lines for jobs that never ran (no run time or processors)
  std::vector<std::string> header;  // comment lines, without the ';'
};

// Throws og::UsageError naming `where` and the line for a malformed line.
Trace read_swf(std::istream& in, const std::string& where);
void write_swf(std::ostream& out, const Trace& trace);

}  // namespace og::sim
