#include "scheduler/sim/simulator.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <queue>

#include "core/error.hpp"
#include "scheduler/scheduling_pass.hpp"

namespace og::sim {
namespace {

constexpr int64_t kUs = 1'000'000;
constexpr double kBoundS = 10;  // bounded slowdown's floor on run time

struct Ending {
  int64_t at_s;
  size_t job;  // index into the simulated jobs
  bool operator>(const Ending& o) const { return at_s > o.at_s; }
};

}  // namespace

SimReport simulate(const Trace& trace, const SimConfig& config) {
  auto started_clock = std::chrono::steady_clock::now();
  if (config.partitions == 0) throw UsageError("a simulated mesh needs at least one partition");
  uint32_t cpus = config.cpus_per_partition > 0 ? config.cpus_per_partition
                                                : trace.max_procs / config.partitions;
  if (cpus == 0)
    throw UsageError("the trace gives no MaxProcs: say how many CPUs each partition has (--cpus)");
  auto policy = make_scheduler(config.scheduler);

  std::map<std::string, Partition> partitions;
  for (uint32_t i = 0; i < config.partitions; ++i) {
    Partition p;
    p.name = "p" + std::to_string(i);
    p.cpus = cpus;
    p.memory_mb = uint64_t(1) << 40;  // traces carry no usable memory demands
    partitions[p.name] = p;
  }
  SimReport report;
  report.scheduler = std::string(policy->name());

  // The jobs as the scheduler sees them, and what the trace says they will do.
  std::deque<Job> jobs;
  std::vector<const TraceJob*> source;
  for (const auto& t : trace.jobs) {
    if (t.cpus > cpus) {
      ++report.too_big;
      continue;
    }
    Job& j = jobs.emplace_back();
    j.id = jobs.size();
    j.submit_us = t.submit_s * kUs;
    j.spec.cpus_per_task = t.cpus;
    j.spec.time_limit_s = std::max(t.requested_s, int64_t(1));
    source.push_back(&t);
  }
  report.jobs = jobs.size();
  if (jobs.empty()) throw UsageError("the trace has no job that fits a partition");

  std::vector<int64_t> start_s(jobs.size(), -1), end_s(jobs.size(), -1);
  std::vector<std::vector<Partition*>> placed(jobs.size());
  std::vector<size_t> pending;  // indices, in submit order
  std::priority_queue<Ending, std::vector<Ending>, std::greater<Ending>> endings;
  const std::map<uint64_t, uint32_t> no_arrays;
  size_t next_arrival = 0;
  while (next_arrival < jobs.size() || !endings.empty()) {
    // The next moment something happens: an arrival or an end (ends first at a tie).
    int64_t now = endings.empty() ? source[next_arrival]->submit_s : endings.top().at_s;
    if (next_arrival < jobs.size()) now = std::min(now, source[next_arrival]->submit_s);
    while (!endings.empty() && endings.top().at_s <= now) {
      size_t i = endings.top().job;
      endings.pop();
      for (Partition* p : placed[i]) p->release(jobs[i].id);
    }
    while (next_arrival < jobs.size() && source[next_arrival]->submit_s <= now) pending.push_back(next_arrival++);
    if (pending.empty()) continue;

    std::vector<PassCandidate> ranked;
    ranked.reserve(pending.size());
    for (size_t i : pending) ranked.push_back({&jobs[i], 1, nullptr});
    PassInput input{ranked, partitions, no_arrays, now * kUs};
    PassOutcome outcome = policy->run(input);
    ++report.passes;
    if (outcome.starts.empty()) continue;
    for (const auto& s : outcome.starts) {
      size_t i = s.job->id - 1;
      start_s[i] = now;
      // A job that would overrun its limit is killed at the limit, as Slurm would.
      end_s[i] = now + std::min(source[i]->run_s, s.job->spec.time_limit_s);
      endings.push({end_s[i], i});
      placed[i] = s.partitions;
      report.backfilled += s.backfilled;
    }
    std::erase_if(pending, [&](size_t i) { return start_s[i] >= 0; });
  }

  // The figures.
  int64_t first_submit = source.front()->submit_s, last_end = 0;
  double used = 0, wait_sum = 0, slowdown_sum = 0;
  std::vector<double> waits;
  for (size_t i = 0; i < jobs.size(); ++i) {
    double wait = double(start_s[i] - source[i]->submit_s);
    double run = double(end_s[i] - start_s[i]);
    waits.push_back(wait);
    wait_sum += wait;
    slowdown_sum += std::max(1.0, (wait + run) / std::max(run, kBoundS));
    used += run * jobs[i].spec.cpus_per_task;
    last_end = std::max(last_end, end_s[i]);
  }
  std::sort(waits.begin(), waits.end());
  report.makespan_s = last_end - first_submit;
  report.utilization = used / (double(cpus) * config.partitions * double(std::max<int64_t>(report.makespan_s, 1)));
  report.mean_wait_s = wait_sum / double(jobs.size());
  report.p95_wait_s = waits[std::min(waits.size() - 1, size_t(0.95 * double(waits.size())))];
  report.mean_bounded_slowdown = slowdown_sum / double(jobs.size());
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_clock).count();
  return report;
}

}  // namespace og::sim
