// A job's life as an append-only list of events (the idea of Flux's RFC 21 eventlog):
// every change to a job or one of its replicas is an event with a time and who caused
// it, and apply() is the one function that turns an event into the change, refusing
// what the state machine does not allow. og-schedd appends each event in the same
// SQLite transaction as the row it changes, so the history and the state never part.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "scheduler/model.hpp"

namespace og {

enum class EventKind {
  Submitted,          // {}: the job is queued (held when its spec says so)
  Held,               // by its owner or an admin
  Released,
  Updated,            // {time_limit_s?, nice?}
  DependencyResolved, // {dependency}: satisfied; cleared, as Slurm shows Dependency=(null) then
  ReplicaAssigned,    // {lease, partition, price, adaptive?}: the first one starts the job
  ReplicaStarted,     // {lease}: its worker collected the lease
  ReplicaRedelivered, // {lease}: the worker never got the answer that carried it: offered again
  CancelRequested,    // {lease}: its worker is told to stop it
  ReplicaReported,    // {lease, outcome, exit_code, root, reason?, scores?}: scores from a validation task
  ReplicaLost,        // {lease}: the worker went silent or forgot it (NODE_FAIL)
  ReplicaHandedBack,  // {lease, reason}: the provider stopped it; it runs elsewhere
  ReplicaCancelled,   // {lease}
  MilestoneVerified,  // {milestone, sha256}: a quorum agreed on a checkpoint
  Requeued,           // {to_pending}: it starts again (og-scontrol requeue, or a lost replica)
  ExtraReplica,       // {replicas}: results disagreed, one more opinion is asked
  Verified,           // {lease, root, state, exit_code, reason, scores?}: a quorum agreed (or the
                      // validators scored it best, at the threshold or above); the job ends
  NoQuorum,           // the replicas disagreed and no more can be had: FAILED
  Cancelled,          // {reason}: by its owner, or for want of funds (Budget)
  NodeFailed,         // lost too often to run again
  Settled,            // {cost, fee, paid}: payments made
  Disputed,           // {audit}: the requester contests the result; an audit re-runs it
  Overturned,         // {audit}: the audit found another result
  ValidatorsWanted,   // {validators, why}: --verify=score: the verdict waits for this many validators' scores
  ScoresRejected,     // {reason, scores}: no replica scored the threshold (or no validator could score): FAILED
};

std::string_view to_string(EventKind kind);        // "submitted", "replica_assigned", …
EventKind event_kind_from_string(std::string_view text);  // throws std::invalid_argument

struct JobEvent {
  uint64_t job_id = 0;
  uint32_t seq = 0;      // 1, 2, … within the job; given when appended
  int64_t time_us = 0;   // UTC
  EventKind kind = EventKind::Submitted;
  std::string actor;     // the user, the partition whose worker reported, or "og-schedd"
  nlohmann::json context = nlohmann::json::object();

  uint64_t lease() const { return context.value("lease", uint64_t{0}); }
};

// An event the state machine does not allow in the job's (or replica's) current state.
class IllegalTransition : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Apply the event to the job's fields. Replica events change the job only where they
// must (the first replica assigned starts it); apply them to the replica too.
void apply(Job& job, const JobEvent& event);
// Apply a replica event to the replica it names.
void apply(Replica& replica, const JobEvent& event);

// The job as its events make it: `submitted` holds what never changes (id, user, spec as
// submitted, submission time, array ids); every other field comes from the events.
Job replay(const Job& submitted, const std::vector<JobEvent>& events);

// One line a person reads: "lease 3 reported COMPLETED, exit 0, root 1f2e…".
std::string describe(const JobEvent& event);
// {seq, time (s), time_us, name, actor, context, text}
nlohmann::json to_json(const JobEvent& event);

}  // namespace og
