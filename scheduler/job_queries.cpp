// Queries (Controller's listing, detail, accounting, wait, history and result reads;
// the JobQueries interface, job_queries.hpp). What is in memory is copied under the state lock, which is
// quick; what only the database holds — finished jobs, up to 100,000 of them for
// og-sacct — is read on a connection of its own (SQLite in WAL mode lets readers run
// beside the writer), after the state lock is let go: a long listing never delays a
// worker's poll or a submission.
#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "jobscripts/filename_pattern.hpp"
#include "scheduler/controller.hpp"

#include "core/verify_mode.hpp"

namespace og {
namespace {

bool named(const JobFilter& f, const Job& job) {
  if (f.ids.empty() && f.tasks.empty()) return true;  // no ids given: any
  if (f.ids.count(job.id) || f.ids.count(job.array_job_id)) return true;
  auto it = f.tasks.find(job.array_job_id);
  return it != f.tasks.end() && job.is_array_task() && it->second.count(static_cast<uint32_t>(job.array_task_id));
}

bool matches(const JobFilter& f, const Job& job, const std::string& nodelist) {
  if (!named(f, job)) return false;
  if (!f.users.empty() && !f.users.count(job.user)) return false;
  if (!f.names.empty() && !f.names.count(job.spec.name)) return false;
  if (!f.states.empty() && !f.states.count(job.state)) return false;
  if (!f.partitions.empty()) {
    bool any = false;
    for (const auto& asked : split_list(job.spec.partition)) any = any || f.partitions.count(asked) > 0;
    for (const auto& node : split_list(nodelist)) any = any || f.partitions.count(node) > 0;
    if (!any) return false;
  }
  return true;
}

void by_id(std::vector<JobView>& views) {
  std::sort(views.begin(), views.end(), [](const JobView& a, const JobView& b) { return a.job.id < b.job.id; });
}

}  // namespace

std::map<std::string, std::string> Controller::isolation_levels() const {
  std::map<std::string, std::string> levels;
  for (const auto& [name, p] : partitions_) levels[name] = p.isolation;
  return levels;
}

std::string Controller::isolation_of(const std::map<std::string, std::string>& levels, const std::string& nodelist) {
  std::set<std::string> found;
  for (const auto& name : split_list(nodelist))
    if (auto it = levels.find(name); it != levels.end()) found.insert(it->second);
  return join(std::vector<std::string>(found.begin(), found.end()), ",");
}

std::optional<JobView> Controller::stored_view(uint64_t id, const std::map<std::string, std::string>& levels) {
  std::lock_guard lock(read_mu_);
  auto job = reader_.load_job(id);
  if (!job) return std::nullopt;
  std::string nodes = reader_.nodelist_of(id);
  return JobView{std::move(*job), nodes, isolation_of(levels, nodes)};
}

Job Controller::owned_job(const User& user, uint64_t id) {
  std::optional<Job> job;
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) job = it->second;
  }
  if (!job) {
    std::lock_guard lock(read_mu_);
    job = reader_.load_job(id);
  }
  if (!job) throw job_not_found(id);
  check_owner(user, *job);
  return std::move(*job);
}

std::map<uint64_t, StartEstimate> Controller::expected_starts() {
  std::lock_guard lock(mu_);
  return plan_starts(nullptr);
}

JobListing Controller::list_jobs(const JobFilter& filter) {
  JobListing out;
  std::vector<uint64_t> elsewhere;  // asked for by id and no longer in memory
  std::map<std::string, std::string> levels;
  {
    std::lock_guard lock(mu_);
    // Matches first by reference: with `newest`, only those shown are copied.
    std::vector<std::pair<const Job*, std::string>> live;
    for (const auto& [id, job] : jobs_) {
      std::string nodes = nodelist(job);
      if (matches(filter, job, nodes)) live.emplace_back(&job, std::move(nodes));
    }
    for (uint64_t id : filter.ids)
      if (!jobs_.count(id)) elsewhere.push_back(id);
    levels = isolation_levels();
    out.matched = live.size();
    size_t skip = filter.newest > 0 && live.size() > filter.newest ? live.size() - filter.newest : 0;
    for (size_t i = skip; i < live.size(); ++i)
      out.jobs.push_back({*live[i].first, live[i].second, isolation_of(levels, live[i].second)});
  }
  // A job asked for by id stays visible after it left memory, as squeue -j shows.
  for (uint64_t id : elsewhere)
    if (auto view = stored_view(id, levels); view && matches(filter, view->job, view->nodelist)) {
      out.jobs.push_back(std::move(*view));
      ++out.matched;
    }
  by_id(out.jobs);
  if (filter.newest > 0 && out.jobs.size() > filter.newest)
    out.jobs.erase(out.jobs.begin(), out.jobs.end() - static_cast<std::ptrdiff_t>(filter.newest));
  return out;
}

std::optional<JobDetail> Controller::get_job(uint64_t id) {
  std::map<std::string, std::string> levels;
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) {
      JobDetail d{view_of(it->second), {}};
      for (uint64_t rid : it->second.replicas) d.replicas.push_back(replicas_.at(rid));
      for (uint64_t rid : it->second.validations) d.replicas.push_back(replicas_.at(rid));
      return d;
    }
    levels = isolation_levels();
  }
  auto view = stored_view(id, levels);
  if (!view) return std::nullopt;
  std::lock_guard lock(read_mu_);
  return JobDetail{std::move(*view), reader_.load_replicas(id)};
}

std::vector<JobView> Controller::accounting(int64_t since_us, const JobFilter& filter) {
  std::vector<JobView> out;
  std::set<uint64_t> live;
  std::map<std::string, std::string> levels;
  {
    std::lock_guard lock(mu_);
    levels = isolation_levels();
    for (const auto& [id, job] : jobs_) {
      live.insert(id);  // memory holds the fresher copy of these
      if (!((job.end_us > 0 && job.end_us >= since_us) || job.submit_us >= since_us)) continue;
      std::string nodes = nodelist(job);
      if (matches(filter, job, nodes)) out.push_back({job, nodes, isolation_of(levels, nodes)});
    }
  }
  std::vector<std::pair<Job, std::string>> finished;
  {
    std::lock_guard lock(read_mu_);
    finished = reader_.load_finished_with_nodes(since_us, 100000);
  }
  for (auto& [job, nodes] : finished)
    if (!live.count(job.id) && matches(filter, job, nodes))
      out.push_back({std::move(job), nodes, isolation_of(levels, nodes)});
  by_id(out);
  return out;
}

JobView Controller::wait_job(uint64_t id, int64_t timeout_us, const std::string& since) {
  std::map<std::string, std::string> levels;
  {
    std::unique_lock lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
    bool timed_out = false;
    for (;;) {
      auto it = jobs_.find(id);  // looked up afresh: the job may leave memory while we wait
      if (it == jobs_.end()) break;
      if (is_finished(it->second.state) || stopping_ || timed_out ||
          (!since.empty() && to_string(it->second.state) != since))
        return view_of(it->second);
      timed_out = job_finished_cv_.wait_until(lock, deadline) == std::cv_status::timeout;
    }
    levels = isolation_levels();
  }
  auto view = stored_view(id, levels);
  if (!view) throw job_not_found(id);
  return std::move(*view);
}

std::vector<std::pair<JobView, PriorityFactors>> Controller::priorities() {
  std::lock_guard lock(mu_);
  int64_t now_us = now_unix_us();
  uint64_t cpus = mesh_cpus();
  std::vector<std::pair<JobView, PriorityFactors>> out;
  for (const auto& [id, job] : jobs_)
    if (job.state == JobState::Pending) out.push_back({view_of(job), priority_->factors(job, now_us, cpus)});
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second.priority > b.second.priority; });
  return out;
}

std::vector<JobEvent> Controller::job_events(const User& user, uint64_t id) {
  owned_job(user, id);
  {
    std::lock_guard lock(mu_);
    write_deferred_now();  // a delivery is in the history as soon as it is asked for
  }
  std::lock_guard lock(read_mu_);
  return reader_.load_events(id);
}

std::string Controller::reported_manifest(uint64_t job_id, uint64_t lease_id) {
  {
    std::lock_guard lock(mu_);
    if (auto r = replicas_.find(lease_id); r != replicas_.end()) return r->second.manifest_json;
  }
  std::lock_guard lock(read_mu_);
  for (const auto& r : reader_.load_replicas(job_id))
    if (r.id == lease_id) return r.manifest_json;
  return "";
}

std::string Controller::canonical_manifest(const User& user, uint64_t job_id) {
  Job job = owned_job(user, job_id);
  if (job.canonical_replica == 0)
    throw ApiError(Refusal::Conflict, "no_result",
                   "job " + std::to_string(job_id) + " has no accepted result (state " +
                       std::string(to_string(job.state)) + ")" +
                       (is_finished(job.state) ? "; og-fetch --unverified " + std::to_string(job_id) +
                                                     " brings each replica's own outputs, which no quorum checked"
                                               : ""));
  std::string manifest = reported_manifest(job_id, job.canonical_replica);
  if (manifest.empty()) throw ApiError(Refusal::Internal, "internal", "canonical replica missing");
  return manifest;
}

std::string Controller::replica_manifest(const User& user, uint64_t job_id, uint64_t lease_id) {
  Job job = owned_job(user, job_id);
  if (std::find(job.replicas.begin(), job.replicas.end(), lease_id) == job.replicas.end())
    throw ApiError(Refusal::NotFound, "lease_not_found",
                   "job " + std::to_string(job_id) + " has no lease " + std::to_string(lease_id));
  // Scored below the threshold (or never scored): the requester neither pays for it nor
  // gets it, so its own scoring script cannot buy work for nothing by failing it.
  if (auto mode = parse_verify_mode(job.spec.verify);
      mode && mode->kind == VerifyMode::Kind::Score && job.reason == reason::kBelowThreshold)
    throw ApiError(Refusal::Conflict, "not_accepted",
                   "job " + std::to_string(job_id) + "'s replicas scored below its threshold: their outputs were not "
                   "accepted, nor paid for, and are not delivered");
  std::string manifest = reported_manifest(job_id, lease_id);
  if (manifest.empty())
    throw ApiError(Refusal::Conflict, "no_outputs",
                   "lease " + std::to_string(lease_id) + " of job " + std::to_string(job_id) +
                       " reported no outputs (still running, cancelled, handed back or lost)");
  return manifest;
}

OutputSource Controller::output_source(const User& user, uint64_t job_id, uint32_t replica, uint64_t following) {
  Job job = owned_job(user, job_id);
  std::map<uint64_t, Replica> known;
  {
    std::lock_guard lock(mu_);
    for (uint64_t id : job.replicas)
      if (auto r = replicas_.find(id); r != replicas_.end()) known[id] = r->second;
  }
  if (known.size() < job.replicas.size()) {
    std::lock_guard lock(read_mu_);
    for (auto& r : reader_.load_replicas(job_id)) known.try_emplace(r.id, std::move(r));
  }
  if (replica > job.replicas.size())
    throw ApiError(Refusal::NotFound, "replica_not_found",
                   "job " + std::to_string(job_id) + " has " + std::to_string(job.replicas.size()) +
                       " replica(s); --replica counts from 1");
  const Replica* chosen = nullptr;
  auto pick = [&](auto&& fits) {
    for (uint64_t id : job.replicas)
      if (!chosen && known.count(id) && fits(known.at(id))) chosen = &known.at(id);
  };
  if (replica > 0) chosen = known.count(job.replicas[replica - 1]) ? &known.at(job.replicas[replica - 1]) : nullptr;
  if (!chosen && replica == 0) {
    // The one being followed stays so while it can say more: a reader is not sent back to
    // the start of another replica's copy of the same output.
    pick([&](const Replica& r) { return r.id == following && (is_active(r.state) || !r.manifest_json.empty()); });
    pick([&](const Replica& r) { return r.id == job.canonical_replica; });
    pick([](const Replica& r) { return r.state == ReplicaState::Running; });
    pick([](const Replica& r) { return is_active(r.state); });
    for (auto it = job.replicas.rbegin(); it != job.replicas.rend() && !chosen; ++it)
      if (known.count(*it) && !known.at(*it).manifest_json.empty()) chosen = &known.at(*it);
    pick([&](const Replica& r) { return r.id == job.replicas.back(); });
  }
  OutputSource source;
  source.job_finished = is_finished(job.state);
  if (!chosen) return source;
  jobscripts::PatternContext ctx;
  ctx.job_id = job.id;
  ctx.job_name = job.spec.name;
  ctx.user = job.user;
  ctx.node = chosen->partition;
  ctx.array_job_id = job.array_task_id >= 0 ? job.array_job_id : job.id;
  ctx.array_task_id = job.array_task_id;
  auto files = jobscripts::stdio_files(job.spec.chdir, job.spec.output, job.spec.error, ctx);
  source.lease = chosen->id;
  source.running = is_active(chosen->state);
  source.manifest_json = chosen->manifest_json;
  source.out = files.out;
  source.err = files.err;
  return source;
}

}  // namespace og
