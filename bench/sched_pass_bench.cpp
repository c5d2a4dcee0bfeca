// og-bench-sched: one scheduling pass over a synthetic queue (Google Benchmark).
// A pass is what og-schedd's scheduling thread does, less the SQLite writes for what
// starts: filter the jobs that may start (holds, dependencies), rank them by multifactor
// priority, and run the EASY backfill policy over the partitions.
//
// Queue: mixed widths (1–16 CPUs, 5% with a GPU), time limits from 10 min to 1 day, 30%
// array tasks (arrays of 100, %10 throttle), 10% jobs with afterok on an earlier pending
// job, 2% held, 50 accounts. Mesh: partitions of 16–128 CPUs, 10% with 8 GPUs, loaded to
// about 90% with running work whose limits end over the next day. The "gpus" argument:
// 0, the GPUs are a bare count; 1, told apart (8 H100s each, allocated by index, as
// og-worker registers them since issue 22), to weigh what allocating by index costs.
#include <benchmark/benchmark.h>

#include <deque>
#include <map>
#include <random>
#include <unordered_map>

#include "core/job_state.hpp"
#include "jobscripts/dependency.hpp"
#include "scheduler/dependency_policy.hpp"
#include "scheduler/priority.hpp"
#include "scheduler/scheduling_pass.hpp"

namespace {

using og::Job;
using og::Partition;

constexpr int64_t kNow = 1'800'000'000'000'000;
constexpr int64_t kMinute = 60'000'000;

struct World {
  std::deque<Job> jobs;
  std::unordered_map<uint64_t, Job*> by_id;
  std::map<std::string, Partition> partitions;
  std::map<uint64_t, uint32_t> array_running;
  og::FairShare fairshare{7 * 86400};
};

World make_world(size_t job_count, size_t partition_count, bool gpus_by_index) {
  World w;
  std::mt19937_64 rng(42);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const uint32_t widths[] = {16, 32, 64, 128};
  for (size_t i = 0; i < partition_count; ++i) {
    Partition p;
    p.name = "p" + std::to_string(i);
    p.cpus = widths[pick(4)];
    p.memory_mb = p.cpus * 4096ull;
    if (pick(10) == 0) {
      p.gpus = 8;
      p.gpu_type = "h100";
      p.gpu_price_micros = 2'000'000;
      auto offer = std::make_shared<og::GpuOffer>();
      for (uint32_t g = 0; gpus_by_index && g < p.gpus; ++g) {
        og::GpuDevice d;
        d.index = d.minor = g;
        d.model = "h100";
        d.memory_mb = 81559;
        offer->gpu_devices.push_back(d);
      }
      p.gpu = offer;
    }
    p.price_micros = 10'000 + static_cast<int64_t>(pick(90'000));
    if (pick(10) == 0) p.features = {"avx512"};
    // Running work: about 90% of the CPUs, limits ending over the next day.
    uint64_t running_id = 1'000'000'000 + i * 1000;
    while (p.used_cpus + 8 <= p.cpus * 9 / 10)
      p.allocate(running_id++, og::Allocation{8, 8 * 4096, 0, kNow + static_cast<int64_t>(1 + pick(1440)) * kMinute});
    w.partitions[p.name] = std::move(p);
  }
  const uint32_t cpus[] = {1, 1, 2, 4, 8, 16};
  const int64_t limits_s[] = {600, 3600, 4 * 3600, 86400};
  uint64_t array_id = 0;
  uint32_t array_left = 0;
  for (size_t i = 0; i < job_count; ++i) {
    Job& j = w.jobs.emplace_back();
    j.id = i + 1;
    j.user = "u" + std::to_string(pick(50));
    j.submit_us = kNow - static_cast<int64_t>(pick(86400)) * 1'000'000;
    // A new array of 100 tasks (%10) now and then: 30% of all jobs are array tasks.
    if (array_left == 0 && pick(1000) < 4) {
      array_id = j.id;
      array_left = 100;
      w.array_running[array_id] = 5;
    }
    const Job* task_of = array_left > 0 ? &w.jobs[array_id - 1] : nullptr;
    if (task_of && array_left < 100) {
      j.spec = task_of->spec;  // tasks share their array's spec
      j.user = task_of->user;
    } else {
      j.spec.name = "job";
      j.spec.script = "#!/bin/sh\ntrue\n";
      j.spec.cpus_per_task = cpus[pick(6)];
      j.spec.mem_mb = j.spec.cpus_per_task * 1024ull;
      j.spec.time_limit_s = limits_s[pick(4)];
      if (pick(20) == 0) j.spec.gpus = 1;
    }
    if (array_left > 0) {
      j.array_job_id = array_id;
      j.array_task_id = 100 - array_left;
      j.array_max_running = 10;
      --array_left;
    } else if (i > 0 && pick(10) == 0) {
      j.dependency = og::jobscripts::parse_dependency("afterok:" + std::to_string(1 + pick(i)));
    } else if (pick(50) == 0) {
      j.spec.hold = true;
    }
    w.fairshare.add_usage(j.user, static_cast<double>(pick(1'000'000)), kNow - 3600'000'000);
    w.by_id[j.id] = &j;
  }
  return w;
}

void BM_SchedulingPass(benchmark::State& state) {
  World w = make_world(static_cast<size_t>(state.range(0)), static_cast<size_t>(state.range(1)), state.range(2) != 0);
  og::MultifactorPriority priority(og::PriorityWeights{}, w.fairshare);
  og::EasyBackfillScheduler policy;
  og::DependencyLookup lookup{
      [&](const og::jobscripts::DependencyTarget& t) {
        std::vector<og::TargetState> out;
        if (auto it = w.by_id.find(t.job_id); it != w.by_id.end()) out.push_back(og::target_state(*it->second));
        return out;
      },
      [](const Job&) { return false; }};
  uint64_t mesh_cpus = 0;
  for (const auto& [name, p] : w.partitions) mesh_cpus += p.cpus;
  size_t started = 0, ranked_count = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto partitions = w.partitions;  // each pass starts from the same mesh
    for (Job& j : w.jobs) j.reason = og::reason::kNone;  // and looks at every job afresh
    state.ResumeTiming();

    std::vector<std::pair<int64_t, Job*>> ranked;
    ranked.reserve(w.jobs.size());
    for (Job& j : w.jobs) {
      if (j.spec.hold) continue;
      if (!j.dependency.terms.empty() &&
          og::evaluate_dependency(j.dependency, j, lookup, kNow) != og::DependencyStatus::Satisfied)
        continue;
      ranked.emplace_back(priority.factors(j, kNow, mesh_cpus).priority, &j);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<og::PassCandidate> candidates;
    candidates.reserve(ranked.size());
    for (const auto& [prio, job] : ranked) {
      candidates.push_back({job, job->spec.replicas, nullptr});
    }
    og::PassInput input{candidates, partitions, w.array_running, kNow};
    auto outcome = policy.run(input);
    benchmark::DoNotOptimize(outcome);
    started = outcome.starts.size();
    ranked_count = candidates.size();
  }
  state.counters["ranked"] = static_cast<double>(ranked_count);
  state.counters["started"] = static_cast<double>(started);
  state.counters["jobs_per_s"] =
      benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_SchedulingPass)
    ->ArgNames({"jobs", "partitions", "gpus"})
    ->ArgsProduct({{10'000, 100'000, 1'000'000}, {100, 1'000, 10'000}, {0}})
    ->Args({100'000, 1'000, 1})
    ->Args({10'000, 10'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5);

}  // namespace

BENCHMARK_MAIN();
