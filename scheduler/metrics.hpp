// og-schedd's /metrics in the Prometheus text format (version 0.0.4): the histograms and
// counters the controller keeps as it works, and the helpers that write gauges read from
// its state when scraped.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace og {

// A cumulative histogram with fixed upper bounds (seconds), as Prometheus reads it.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  void write(std::string& out, const std::string& name, const std::string& help) const;
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  uint64_t count_ = 0;
};

struct SchedulerCounters {
  Histogram start_latency{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
  Histogram pass_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  std::map<std::string, uint64_t> finished;  // by final state
  std::map<std::string, uint64_t> verdicts;  // agreed, extra_replica, no_quorum
};

// One metric family: its HELP and TYPE lines, then a sample per label set ("" for none,
// else e.g. state="RUNNING"; values come escaped: og::escape_quoted).
void write_family(std::string& out, const std::string& name, const std::string& type, const std::string& help,
                  const std::vector<std::pair<std::string, double>>& samples);

}  // namespace og
