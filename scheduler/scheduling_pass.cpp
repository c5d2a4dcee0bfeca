#include "scheduler/scheduling_pass.hpp"

#include <set>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"
#include "core/job_state.hpp"
#include "scheduler/order_book.hpp"
#include "scheduler/start_planner.hpp"

namespace og {
namespace {

// Jobs of one shape (what they ask for, where, at what price, for how long) fare alike in
// a pass: resources only shrink while it runs, so once one could not start, the rest of
// its shape cannot either. Queues are mostly a few shapes (arrays!): this keeps a pass
// over 100k jobs to a placement per shape instead of one per job. The strings are views
// into the jobs' specs, which outlive the pass.
struct Shape {
  uint64_t cpus, memory_mb, gpu_mem_mb;
  uint32_t gpus, count;
  bool exclusive, egress;
  int isolation;  // the sandbox level it demands: partitions below it cannot hold it
  int64_t time_limit_s, max_price, max_gpu_price;
  std::string_view gpu_type, cuda, constraint, partition, image;
  size_t data;  // a hash of the data sets named: where they come from decides who can hold it
  bool operator==(const Shape&) const = default;
};

struct ShapeHash {
  size_t operator()(const Shape& s) const {
    size_t h = 0;
    for (uint64_t v : {s.cpus, s.memory_mb, s.gpu_mem_mb, uint64_t(s.gpus), uint64_t(s.count), uint64_t(s.exclusive),
                       uint64_t(s.egress), uint64_t(s.isolation),
                       uint64_t(s.time_limit_s), uint64_t(s.max_price), uint64_t(s.max_gpu_price), uint64_t(s.data)})
      h = (h ^ v) * 0x100000001b3ull;
    for (std::string_view text : {s.gpu_type, s.cuda, s.constraint, s.partition, s.image})
      if (!text.empty()) h ^= std::hash<std::string_view>()(text) + (h << 6);
    return h;
  }
};

Shape shape_of(const JobSpec& s, uint32_t count) {
  size_t data = 0;
  for (const auto& [name, ref] : s.data) data = data * 31 + std::hash<std::string>()(ref);
  return Shape{s.total_cpus(), s.total_mem_mb(), s.gpu_mem_mb, s.gpus, count, s.exclusive, s.network == "egress",
               s.secrets.empty() ? isolation_rank(s.isolation) : isolation_rank("jail"), s.time_limit_s, s.max_price_micros, s.max_gpu_price_micros,
               s.gpu_type, s.cuda, s.constraint, s.partition, s.image, data};
}

constexpr size_t kPrefetchAhead = 8;

// The pass both policies share; `backfill` says what a blocked job means for the rest.
PassOutcome run_queue(PassInput& in, bool backfill) {
  PassOutcome out;
  uint64_t free_cpus = 0;
  for (const auto& [name, p] : in.partitions)
    if (p.state == PartitionState::Up) free_cpus += p.cpus - std::min(p.cpus, p.used_cpus);
  std::unordered_map<Shape, PlacementResult, ShapeHash> failed;  // shape → why it could not
  std::unordered_map<uint64_t, uint32_t> started_tasks;     // per array, in this pass
  OrderBook book(in.partitions);
  std::optional<StartPlanner> planner;                      // holds the reservation
  std::set<std::string> reserved;                           // its partitions
  bool blocked = false;                                     // a job already waits for resources
  for (size_t at = 0; at < in.ranked.size(); ++at) {
    PassCandidate& c = in.ranked[at];
    Job& job = *c.job;
    // Jobs come in priority order, scattered in memory: ask for a later one's fields now
    // so they are in cache when its turn comes (a long queue is otherwise memory-bound).
    if (at + kPrefetchAhead < in.ranked.size()) {
      const Job* later = in.ranked[at + kPrefetchAhead].job;
      __builtin_prefetch(later);
      __builtin_prefetch(&later->reason);
      __builtin_prefetch(&later->spec.ntasks);
      __builtin_prefetch(&later->spec.max_price_micros);
      __builtin_prefetch(&later->spec.constraint);
    }
    if (job.is_array_task() && job.array_max_running > 0) {
      auto running = in.array_running.find(job.array_job_id);
      auto started = started_tasks.find(job.array_job_id);
      uint32_t active = (running == in.array_running.end() ? 0 : running->second) +
                        (started == started_tasks.end() ? 0 : started->second);
      if (active >= job.array_max_running) {
        job.reason = "JobArrayTaskLimit";
        continue;
      }
    }
    if (blocked && !backfill) {  // FIFO: everything behind the first blocked job waits
      job.reason = reason::kPriority;
      continue;
    }
    // A job no pass has looked at yet gets its reason worked out even when nothing is
    // free; the rest keep theirs, which saves the placement.
    bool fresh = job.reason == reason::kNone || job.reason == reason::kRequeued;
    if (free_cpus == 0 && !fresh) {
      if (job.reason == reason::kResources || job.reason == reason::kPriority) {
        job.reason = blocked ? reason::kPriority : reason::kResources;
        blocked = true;
      }
      continue;
    }
    PlacementRequest request;
    if (c.avoid) request = *c.avoid;  // a job with replicas already: its own case
    else request.count = c.count;
    request.draw = in.draw;
    std::optional<Shape> shape;
    if (!c.avoid) shape = shape_of(job.spec, c.count);
    PlacementResult why;
    if (auto hit = shape ? failed.find(*shape) : failed.end(); hit != failed.end()) {
      why = hit->second;
    } else if (free_cpus == 0) {  // nothing can start: placement only says why
      why = place_replicas(job, in.partitions, request);
      if (!why.chosen.empty()) why = PlacementResult{{}, std::string(reason::kResources), true};
      if (shape) failed.emplace(*shape, why);
    } else {
      if (!reserved.empty()) {
        int64_t duration = planned_duration_us(job.spec);
        request.admit = [&](const Partition& p) {
          return !reserved.count(p.name) ||
                 planner->profile(p).fits(in.now_us, allocation_for(p, job.spec, in.now_us), duration);
        };
      }
      auto placed = place_replicas(job, in.partitions, request, &book);
      request.admit = nullptr;
      if (!placed.chosen.empty()) {
        for (Partition* p : placed.chosen) {
          Allocation a = allocation_for(*p, job.spec, in.now_us);
          p->allocate(job.id, a);
          book.changed(*p);
          if (reserved.count(p->name))
            planner->profile(*p).reserve(in.now_us, a, planned_duration_us(job.spec));
          free_cpus -= std::min<uint64_t>(free_cpus, a.cpus);
        }
        if (job.is_array_task()) ++started_tasks[job.array_job_id];
        out.starts.push_back({&job, std::move(placed.chosen), planner.has_value()});
        job.reason = reason::kNone;
        continue;
      }
      why = std::move(placed);
      if (shape) failed.emplace(*shape, why);
    }
    if (!why.busy) {  // it can never run on what is offered now: it holds up no one
      job.reason = why.reason;
      continue;
    }
    job.reason = blocked ? reason::kPriority : reason::kResources;
    if (!blocked && backfill && free_cpus > 0) {
      // The first job that must wait: reserve its earliest start.
      planner.emplace(in.partitions, in.now_us);
      if (auto planned = planner->plan(job, request)) {
        Reservation r{job.id, planned->start_us, {}};
        for (Partition* p : planned->partitions) {
          r.partitions.push_back(p->name);
          reserved.insert(p->name);
        }
        out.reservation = std::move(r);
      }
    }
    blocked = true;
  }
  return out;
}

}  // namespace

PassOutcome FifoScheduler::run(PassInput& input) const { return run_queue(input, false); }

PassOutcome EasyBackfillScheduler::run(PassInput& input) const { return run_queue(input, true); }

std::unique_ptr<SchedulerPolicy> make_scheduler(std::string_view name) {
  if (name == "backfill") return std::make_unique<EasyBackfillScheduler>();
  if (name == "fifo") return std::make_unique<FifoScheduler>();
  throw UsageError("unknown scheduler \"" + std::string(name) + "\" (use backfill or fifo)");
}

}  // namespace og
