// The one place og-schedd changes a job or a replica (Controller::record): the event is
// applied (job_events.hpp refuses what the state machine does not allow), appended to the
// job's journal in the caller's transaction, the rows written, and everything derived
// from a job's state kept in step — the queue, the array throttle, fair-share usage,
// waiters, the partition's allocation.
#include <algorithm>
#include <optional>

#include "core/log.hpp"
#include "scheduler/controller.hpp"

namespace og {
namespace {

// The job's next event (the sequence number after its journal's last).
JobEvent next_event(const Job& job, EventKind kind, const std::string& actor, nlohmann::json context, int64_t now_us) {
  JobEvent e;
  e.job_id = job.id;
  e.seq = job.journal_seq + 1;
  e.time_us = now_us;
  e.kind = kind;
  e.actor = actor;
  e.context = std::move(context);
  return e;
}

}  // namespace

void Controller::delivered(Job& job, Replica& replica, const std::string& actor, int64_t now_us) {
  JobEvent e = next_event(job, EventKind::ReplicaStarted, actor, {{"lease", replica.id}}, now_us);
  apply(replica, e);
  job.journal_seq = e.seq;
  unwritten_.push_back(std::move(e));
}

void Controller::write_deferred_now() {
  if (unwritten_.empty()) return;
  auto txn = store_.transaction();
  for (auto& e : unwritten_) store_.append_event(e);
  txn.commit();
  unwritten_.clear();  // only once they are in: a rollback keeps them for the next try
}

Transaction Controller::begin() {
  // Deliveries happen under mu_ and outside transactions: none arrives while this one is open.
  write_deferred_now();
  return store_.transaction();
}

JobEvent Controller::record(Job& job, Replica* replica, EventKind kind, const std::string& actor,
                            nlohmann::json context, int64_t now_us) {
  if (replica) context["lease"] = replica->id;
  JobEvent e = next_event(job, kind, actor, std::move(context), now_us);
  const JobState before = job.state;
  const int64_t started_us = job.start_us;
  const bool was_active = replica && is_active(replica->state);
  // What ran, for fair share, counted before the replicas are stopped.
  const size_t ran = std::count_if(job.replicas.begin(), job.replicas.end(), [&](uint64_t id) {
    auto s = replicas_.at(id).state;
    return s == ReplicaState::Done || s == ReplicaState::Running;
  });
  // Nothing changes unless the whole event applies and is appended.
  Job next = job;
  std::optional<Replica> changed;
  if (replica) apply(changed.emplace(*replica), e);
  apply(next, e);
  next.journal_seq = e.seq;
  store_.append_event(e);
  job = std::move(next);
  if (replica) *replica = std::move(*changed);

  if (replica) {
    if (was_active && !is_active(replica->state)) {
      release(*replica);
      cancel_sent_[replica->partition].erase(replica->id);
    }
    // Inserted as assigned; a delivery is not written to its row (after a restart an
    // assigned lease is offered again, and a worker already running it ignores that).
    if (kind != EventKind::ReplicaAssigned && kind != EventKind::ReplicaRedelivered) store_.update_replica(*replica);
  }
  if (job.is_array_task() && before != job.state) {
    auto& active = array_active_[job.array_job_id];  // the throttle counts running tasks
    if (before == JobState::Running && active > 0) --active;
    if (job.state == JobState::Running) ++active;
  }
  if (before == JobState::Pending && job.state == JobState::Running && started_us == 0)
    counters_.start_latency.observe(double(now_us - job.submit_us) / 1e6);
  if (kind == EventKind::Requeued || kind == EventKind::ExtraReplica) queue_.insert(queue_key(job));
  if (!is_finished(before) && is_finished(job.state)) {
    // Charge the account for what ran: CPUs x run time x replicas that did the work.
    if (started_us > 0)
      fairshare_.add_usage(charge_account(job),
                           static_cast<double>(std::max<size_t>(ran, 1)) * job.spec.total_cpus() *
                               static_cast<double>(now_us - started_us) / 1e6,
                           now_us);
    ++counters_.finished[std::string(to_string(job.state))];
    queue_.erase(queue_key(job));
    unsettled_.insert(job.id);
    if (!job.spec.secrets.empty()) store_.delete_secrets(job.id);  // kept no longer than needed
    // Replicas not yet started are no longer needed. Running ones are stopped too, except
    // after an accepted result: they finish and their outputs are still checked against it.
    stop_replicas(job, now_us, /*keep_running=*/job.canonical_replica != 0);
    log_info("job_finished", {{"job", std::to_string(job.id)},
                              {"state", std::string(to_string(job.state))},
                              {"reason", job.reason},
                              {"exit_code", std::to_string(job.exit_code)}});
  }
  if (before != job.state) job_finished_cv_.notify_all();  // og-sbatch --wait shows the change
  persist(job);
  if (kind == EventKind::Updated || kind == EventKind::DependencyResolved) store_.update_job_spec(job.id, job.spec);
  // A pass is worth running when resources were freed or the queue changed; not for a
  // lease assigned by the pass itself or collected by its worker.
  bool freed = replica && was_active && !is_active(replica->state);
  bool queue_changed = kind == EventKind::Requeued || kind == EventKind::ExtraReplica || kind == EventKind::Held ||
                       kind == EventKind::Released || kind == EventKind::Updated ||
                       (!is_finished(before) && is_finished(job.state));
  if (freed || queue_changed) request_pass();
  return e;
}

JobEvent Controller::journal(Job& job, EventKind kind, const std::string& actor, nlohmann::json context,
                             int64_t now_us) {
  JobEvent e = next_event(job, kind, actor, std::move(context), now_us);
  Job next = job;
  apply(next, e);
  next.journal_seq = e.seq;
  store_.append_event(e);
  job = std::move(next);
  return e;
}

void Controller::stop_replicas(Job& job, int64_t now_us, bool keep_running) {
  std::vector<uint64_t> ids = job.replicas;  // record() replaces the job it changes
  ids.insert(ids.end(), job.validations.begin(), job.validations.end());
  for (uint64_t id : ids) {
    Replica& r = replicas_.at(id);
    if (r.state == ReplicaState::Assigned) {
      auto& pending = undelivered_[r.partition];
      pending.erase(std::remove(pending.begin(), pending.end(), id), pending.end());
      record(job, &r, EventKind::ReplicaCancelled, "og-schedd", {}, now_us);
    } else if (r.state == ReplicaState::Running && !r.cancel_requested && !keep_running) {
      record(job, &r, EventKind::CancelRequested, "og-schedd", {}, now_us);
      wake_partition(r.partition);  // its worker learns it at its next poll, woken now
    }
  }
}

void Controller::replica_stopped(Replica& r, EventKind kind, const std::string& actor, nlohmann::json context,
                                 int64_t now_us) {
  Job& job = jobs_.at(r.job_id);
  if (!is_active(r.state)) return;
  if (r.cancel_requested) {  // we asked for it: it ends as cancelled, whatever else is said
    record(job, &r, EventKind::ReplicaCancelled, actor, {}, now_us);
    return;
  }
  record(job, &r, kind, actor, std::move(context), now_us);
  log_warn(kind == EventKind::ReplicaHandedBack ? "lease_handed_back" : "lease_lost",
           {{"job", std::to_string(job.id)}, {"lease", std::to_string(r.id)}, {"partition", r.partition}});
  if (is_finished(job.state)) return;
  if (r.validates) {  // another validator scores it; the job itself does not start again
    evaluate_scores(job, now_us);
    return;
  }
  if (job.spec.requeue && job.requeue_count < options_.max_requeue) {
    bool any_left = std::any_of(job.replicas.begin(), job.replicas.end(), [&](uint64_t id) {
      auto s = replicas_.at(id).state;
      return is_active(s) || s == ReplicaState::Done;
    });
    record(job, nullptr, EventKind::Requeued, "og-schedd", {{"to_pending", !any_left}}, now_us);
  } else {
    record(job, nullptr, EventKind::NodeFailed, "og-schedd", {}, now_us);
  }
}

void Controller::persist(const Job& job) { store_.update_job(job, nodelist(job)); }

}  // namespace og
