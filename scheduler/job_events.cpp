#include "scheduler/job_events.hpp"

#include <array>
#include <cstdio>
#include <utility>

#include "core/job_state.hpp"
#include "core/money.hpp"

namespace og {
namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 25> kNames{{
    {EventKind::Submitted, "submitted"},
    {EventKind::Held, "held"},
    {EventKind::Released, "released"},
    {EventKind::Updated, "updated"},
    {EventKind::DependencyResolved, "dependency_resolved"},
    {EventKind::ReplicaAssigned, "replica_assigned"},
    {EventKind::ReplicaStarted, "replica_started"},
    {EventKind::ReplicaRedelivered, "replica_redelivered"},
    {EventKind::CancelRequested, "cancel_requested"},
    {EventKind::ReplicaReported, "replica_reported"},
    {EventKind::ReplicaLost, "replica_lost"},
    {EventKind::ReplicaHandedBack, "replica_handed_back"},
    {EventKind::ReplicaCancelled, "replica_cancelled"},
    {EventKind::MilestoneVerified, "milestone_verified"},
    {EventKind::Requeued, "requeued"},
    {EventKind::ExtraReplica, "extra_replica"},
    {EventKind::Verified, "verified"},
    {EventKind::NoQuorum, "no_quorum"},
    {EventKind::Cancelled, "cancelled"},
    {EventKind::NodeFailed, "node_failed"},
    {EventKind::Settled, "settled"},
    {EventKind::Disputed, "disputed"},
    {EventKind::Overturned, "overturned"},
    {EventKind::ValidatorsWanted, "validators_wanted"},
    {EventKind::ScoresRejected, "scores_rejected"},
}};

[[noreturn]] void refuse(const Job& job, const JobEvent& e, std::string_view why) {
  throw IllegalTransition("job " + std::to_string(job.id) + ": " + std::string(to_string(e.kind)) + " refused: " +
                          std::string(why) + " (state " + std::string(to_string(job.state)) + ")");
}

void require_pending(const Job& job, const JobEvent& e) {
  if (job.state != JobState::Pending) refuse(job, e, "only a pending job");
}

void require_unfinished(const Job& job, const JobEvent& e) {
  if (is_finished(job.state)) refuse(job, e, "the job has ended");
}

// Every way a job ends goes through here: the state machine decides, the time is stamped.
void finish(Job& job, const JobEvent& e, JobState state, std::string why) {
  if (!can_transition(job.state, state)) refuse(job, e, "not a way this job can end now");
  job.state = state;
  job.reason = std::move(why);
  job.end_us = e.time_us;
  if (job.start_us == 0) job.start_us = e.time_us;
}

}  // namespace

std::string_view to_string(EventKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "unknown";
}

EventKind event_kind_from_string(std::string_view text) {
  for (const auto& [k, name] : kNames)
    if (name == text) return k;
  throw std::invalid_argument("unknown job event \"" + std::string(text) + "\"");
}

void apply(Job& job, const JobEvent& e) {
  const auto& c = e.context;
  switch (e.kind) {
    case EventKind::Submitted:
      require_pending(job, e);
      job.spec.hold = c.value("hold", job.spec.hold);
      job.reason = job.spec.hold ? std::string(reason::kHeld) : std::string(reason::kNone);
      return;
    case EventKind::Held:
    case EventKind::Released:
      require_pending(job, e);
      job.spec.hold = e.kind == EventKind::Held;
      job.reason = job.spec.hold ? std::string(reason::kHeld) : std::string(reason::kNone);
      return;
    case EventKind::Updated:
      require_pending(job, e);
      if (c.contains("time_limit_s")) job.spec.time_limit_s = c["time_limit_s"].get<int64_t>();
      if (c.contains("nice")) job.spec.nice = c["nice"].get<int32_t>();
      if (c.contains("partition")) job.spec.partition = c["partition"].get<std::string>();
      if (c.contains("max_price")) job.spec.max_price_micros = c["max_price"].get<int64_t>();
      return;
    case EventKind::DependencyResolved:
      require_pending(job, e);
      job.spec.dependency.clear();
      job.dependency = {};
      return;
    case EventKind::ReplicaAssigned:
      require_unfinished(job, e);
      if (job.state == JobState::Pending) {
        job.state = JobState::Running;
        if (job.start_us == 0) job.start_us = e.time_us;
      }
      if (c.contains("adaptive")) job.adaptive_replicas = c["adaptive"].get<uint32_t>();
      if (!c.value("validates", false)) job.reason = reason::kNone;  // a validator: still Validation
      return;
    case EventKind::MilestoneVerified:
      require_unfinished(job, e);
      if (c.value("milestone", 0u) <= job.checkpoint_milestone) refuse(job, e, "checkpoints only move forward");
      job.checkpoint_milestone = c["milestone"].get<uint32_t>();
      job.checkpoint_sha256 = c.value("sha256", "");
      job.checkpoint_uploaded = false;
      return;
    case EventKind::Requeued:
      require_unfinished(job, e);
      if (c.value("to_pending", false)) {
        if (!can_transition(job.state, JobState::Pending)) refuse(job, e, "only a running job goes back to the queue");
        job.state = JobState::Pending;
      }
      ++job.requeue_count;
      job.reason = reason::kRequeued;
      return;
    case EventKind::ExtraReplica:
      require_unfinished(job, e);
      ++job.extra_replicas;
      job.reason = reason::kQuorum;
      return;
    case EventKind::Verified:
      finish(job, e, job_state_from_string(c.value("state", "")), c.value("reason", std::string(reason::kNone)));
      job.canonical_root = c.value("root", "");
      job.canonical_replica = c.value("lease", uint64_t{0});
      job.exit_code = c.value("exit_code", 0);
      return;
    case EventKind::NoQuorum:
      finish(job, e, JobState::Failed, std::string(reason::kNoQuorum));
      return;
    case EventKind::Cancelled:
      finish(job, e, JobState::Cancelled, c.value("reason", std::string(reason::kNone)));
      return;
    case EventKind::NodeFailed:
      finish(job, e, JobState::NodeFail, std::string(reason::kNodeFail));
      return;
    case EventKind::Settled:
      if (!is_finished(job.state) || job.settled) refuse(job, e, "only an ended job is settled, once");
      job.settled = true;
      job.cost_micros = c.value("cost", int64_t{0});
      job.fee_micros = c.value("fee", int64_t{0});
      job.validator_pay_micros = c.value("validators", int64_t{0});
      job.paid_to = c.value("paid", "");
      return;
    case EventKind::Disputed:
      if (!is_finished(job.state) || job.canonical_root.empty()) refuse(job, e, "only an accepted result is disputed");
      return;
    case EventKind::Overturned:
      if (!is_finished(job.state)) refuse(job, e, "only an ended job is overturned");
      job.reason = reason::kOverturned;
      return;
    case EventKind::ValidatorsWanted:
      require_unfinished(job, e);
      if (c.value("validators", 0u) <= job.validators_wanted) refuse(job, e, "validators are only ever added");
      job.validators_wanted = c["validators"].get<uint32_t>();
      job.reason = reason::kValidation;
      return;
    case EventKind::ScoresRejected:
      finish(job, e, JobState::Failed, c.value("reason", std::string(reason::kBelowThreshold)));
      return;
    case EventKind::ReplicaStarted:
    case EventKind::ReplicaRedelivered:
    case EventKind::CancelRequested:
    case EventKind::ReplicaReported:
    case EventKind::ReplicaLost:
    case EventKind::ReplicaHandedBack:
    case EventKind::ReplicaCancelled:
      return;  // the job itself does not change (what follows from them is an event of its own)
  }
}

void apply(Replica& r, const JobEvent& e) {
  auto refuse_replica = [&](std::string_view why) {
    throw IllegalTransition("lease " + std::to_string(r.id) + ": " + std::string(to_string(e.kind)) + " refused: " +
                            std::string(why) + " (state " + std::string(to_string(r.state)) + ")");
  };
  const auto& c = e.context;
  auto end = [&](ReplicaState state) {
    if (!is_active(r.state)) refuse_replica("the lease is no longer active");
    r.state = state;
    r.end_us = e.time_us;
  };
  switch (e.kind) {
    case EventKind::ReplicaAssigned:
      if (r.state != ReplicaState::Assigned || r.end_us != 0) refuse_replica("a lease is assigned once");
      r.partition = c.value("partition", r.partition);
      r.price_micros = c.value("price", r.price_micros);
      r.start_us = e.time_us;
      return;
    case EventKind::ReplicaStarted:
      if (r.state != ReplicaState::Assigned) refuse_replica("only an assigned lease starts");
      r.state = ReplicaState::Running;
      return;
    case EventKind::ReplicaRedelivered:
      if (r.state != ReplicaState::Running) refuse_replica("only a delivered lease is offered again");
      r.state = ReplicaState::Assigned;
      return;
    case EventKind::CancelRequested:
      if (r.state != ReplicaState::Running || r.cancel_requested) refuse_replica("only a running lease is stopped, once");
      r.cancel_requested = true;
      return;
    case EventKind::ReplicaReported:
      end(ReplicaState::Done);
      r.outcome = c.value("outcome", "");
      r.exit_code = c.value("exit_code", 0);
      r.reason = c.value("reason", "");
      r.root = c.value("root", "");
      if (c.contains("scores"))
        for (const auto& [lease, score] : c["scores"].items()) r.scores[std::stoull(lease)] = score.get<double>();
      // Time its worker spent fetching the image and data is not run time: not billed.
      r.start_us = std::min(r.start_us + int64_t(c.value("pull_ms", uint64_t{0}) * 1000), r.end_us);
      return;
    case EventKind::ReplicaLost:
    case EventKind::ReplicaHandedBack:
      end(ReplicaState::Lost);
      r.outcome = "NODE_FAIL";
      return;
    case EventKind::ReplicaCancelled: {
      bool worked = r.state == ReplicaState::Running;
      end(ReplicaState::Cancelled);
      if (worked) r.outcome = "CANCELLED";  // it worked until now: paid for
      r.root = c.value("root", r.root);     // what it wrote until then, when it said
      return;
    }
    default:
      refuse_replica("not an event of a lease");
  }
}

Job replay(const Job& submitted, const std::vector<JobEvent>& events) {
  Job job;
  job.id = submitted.id;
  job.user = submitted.user;
  job.spec = submitted.spec;
  job.submit_us = submitted.submit_us;
  job.array_job_id = submitted.array_job_id;
  job.array_task_id = submitted.array_task_id;
  job.array_max_running = submitted.array_max_running;
  job.dependency = submitted.dependency;
  for (const auto& e : events) apply(job, e);
  return job;
}

std::string describe(const JobEvent& e) {
  const auto& c = e.context;
  auto text = [&](const char* key) { return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : std::string(); };
  auto number = [&](const char* key) { return c.contains(key) ? c[key].dump() : std::string("?"); };
  auto digest = [&](const char* key) { std::string d = text(key); return d.size() > 12 ? d.substr(0, 12) + "…" : d; };
  auto money = [&](const char* key) { return format_money(c.value(key, int64_t{0})); };
  std::string lease = "lease " + number("lease");
  // "(lease 3: 0.91, lease 4: 0.12)" from {"scores": {"3": 0.91, "4": 0.12}}
  auto scores_text = [&] {
    if (!c.contains("scores") || !c["scores"].is_object() || c["scores"].empty()) return std::string();
    std::string out;
    for (const auto& [id, score] : c["scores"].items()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", score.is_number() ? score.get<double>() : 0.0);
      out += (out.empty() ? "(" : ", ") + std::string("lease ") + id + ": " + buf;
    }
    return out + ")";
  };
  switch (e.kind) {
    case EventKind::Submitted: return "submitted by " + e.actor + (c.value("hold", false) ? " (held)" : "");
    case EventKind::Held: return "held by " + e.actor;
    case EventKind::Released: return "released by " + e.actor;
    case EventKind::Updated: {
      std::string what;
      if (c.contains("time_limit_s")) what += " time limit " + number("time_limit_s") + " s";
      if (c.contains("nice")) what += (what.empty() ? "" : ",") + std::string(" nice ") + number("nice");
      if (c.contains("partition"))
        what += (what.empty() ? "" : ",") + std::string(" partition ") + (text("partition").empty() ? "any" : text("partition"));
      if (c.contains("max_price")) what += (what.empty() ? "" : ",") + std::string(" max price ") + money("max_price") + "/CPU-h";
      return "updated by " + e.actor + ":" + what;
    }
    case EventKind::DependencyResolved: return "dependency " + text("dependency") + " satisfied";
    case EventKind::ReplicaAssigned:
      if (c.value("validates", false)) return lease + " (a validator's task) assigned to " + text("partition");
      return lease + " assigned to " + text("partition") + " at " + money("price") + "/h";
    case EventKind::ReplicaStarted: return lease + " collected by " + e.actor + "'s worker";
    case EventKind::ReplicaRedelivered: return lease + " offered again (its worker never got it)";
    case EventKind::CancelRequested: return lease + ": its worker is told to stop it";
    case EventKind::ReplicaReported:
      if (c.contains("scores")) return lease + " (a validator) scored " + scores_text();
      return lease + " reported " + text("outcome") + ", exit " + number("exit_code") + ", root " + digest("root") +
             (text("reason").empty() ? "" : " (refused: " + text("reason") + ")") +
             (c.contains("pull_ms") ? "; its image and data took " + number("pull_ms") + " ms to fetch (not billed)" : "");
    case EventKind::ReplicaLost: return lease + " lost on " + e.actor + (text("reason").empty() ? "" : " (" + text("reason") + ")");
    case EventKind::ReplicaHandedBack: return lease + " handed back by " + e.actor + ": " + text("reason");
    case EventKind::ReplicaCancelled: return lease + " cancelled";
    case EventKind::MilestoneVerified:
      return "milestone " + number("milestone") + " verified by a quorum: checkpoint " + digest("sha256");
    case EventKind::Requeued:
      return "requeued by " + e.actor + (c.value("to_pending", false) ? ": back to the queue" : ": a replica replaces the lost one");
    case EventKind::ExtraReplica: return "results disagree: replica " + number("replicas") + " asked for";
    case EventKind::Verified:
      if (c.contains("scores"))
        return "verified by its validators: " + lease + " scored best " + scores_text() + ", " + text("state");
      return "verified: a quorum agreed on root " + digest("root") + " (" + lease + "), " + text("state") +
             (text("reason") == reason::kNone ? "" : " (" + text("reason") + ")");
    case EventKind::NoQuorum: return "no quorum: the replicas disagree and no more can be had";
    case EventKind::Cancelled:
      return text("reason") == reason::kBudget ? "cancelled: its escrow could not be locked" : "cancelled by " + e.actor;
    case EventKind::NodeFailed: return "ended NODE_FAIL: its replicas were lost too often";
    case EventKind::Settled:
      return "settled: cost " + money("cost") + " (fee " + money("fee") +
             (c.value("validators", int64_t{0}) > 0 ? ", validators " + money("validators") : "") + ")" +
             (text("paid").empty() ? "" : ", paid to " + text("paid"));
    case EventKind::Disputed: return "disputed by " + e.actor + ": audit job " + number("audit") + " re-runs it";
    case EventKind::Overturned: return "overturned: audit job " + number("audit") + " found another result";
    case EventKind::ValidatorsWanted:
      return "validators wanted: " + number("validators") + (text("why").empty() ? "" : " (" + text("why") + ")");
    case EventKind::ScoresRejected:
      return text("reason") == reason::kValidationFailed
                 ? "not scored: " + (text("why").empty() ? std::string("no validator could score it") : text("why")) +
                       "; its completed replicas are paid"
                 : "rejected: no replica scored the threshold " + scores_text();
  }
  return std::string(to_string(e.kind));
}

nlohmann::json to_json(const JobEvent& e) {
  return {{"seq", e.seq},
          {"time", e.time_us / 1'000'000},
          {"time_us", e.time_us},
          {"text", describe(e)},
          {"name", std::string(to_string(e.kind))},
          {"actor", e.actor},
          {"context", e.context}};
}

}  // namespace og
