// A job's journal: the state machine refuses illegal events, each path through a job's
// life leaves its events in order, only the owner and admins read them, and the jobs a
// restarted og-schedd holds are what their journals say.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include "core/time_util.hpp"
#include "scheduler/job_events.hpp"
#include "scheduler/job_store.hpp"
#include "controller_fixture.hpp"

namespace og {
namespace {

JobEvent event(EventKind kind, nlohmann::json context = nlohmann::json::object()) {
  JobEvent e;
  e.job_id = 1;
  e.time_us = 1'000'000;
  e.kind = kind;
  e.actor = "alice";
  e.context = std::move(context);
  return e;
}

Job running_job() {
  Job j;
  j.id = 1;
  apply(j, event(EventKind::Submitted));
  apply(j, event(EventKind::ReplicaAssigned, {{"lease", 7}, {"partition", "p1"}}));
  return j;
}

TEST(JobEvents, NamesRoundTrip) {
  for (auto kind : {EventKind::Submitted, EventKind::ReplicaHandedBack, EventKind::Verified, EventKind::Overturned})
    EXPECT_EQ(event_kind_from_string(to_string(kind)), kind);
  EXPECT_THROW(event_kind_from_string("exploded"), std::invalid_argument);
}

TEST(JobEvents, TheStateMachineRefusesIllegalEvents) {
  Job j = running_job();
  ASSERT_EQ(j.state, JobState::Running);
  EXPECT_THROW(apply(j, event(EventKind::Held)), IllegalTransition) << "a running job is not held";
  EXPECT_THROW(apply(j, event(EventKind::Updated, {{"nice", 5}})), IllegalTransition);
  EXPECT_THROW(apply(j, event(EventKind::Settled)), IllegalTransition) << "a running job is not settled";
  apply(j, event(EventKind::Cancelled, {{"reason", "None"}}));
  EXPECT_EQ(j.state, JobState::Cancelled);
  EXPECT_THROW(apply(j, event(EventKind::Verified, {{"state", "COMPLETED"}, {"root", "r"}})), IllegalTransition)
      << "an ended job does not end again";
  EXPECT_THROW(apply(j, event(EventKind::Requeued, {{"to_pending", true}})), IllegalTransition);
  EXPECT_THROW(apply(j, event(EventKind::ReplicaAssigned, {{"lease", 8}})), IllegalTransition);
  EXPECT_THROW(apply(j, event(EventKind::Disputed, {{"audit", 9}})), IllegalTransition) << "no result to dispute";
  apply(j, event(EventKind::Settled, {{"cost", 5}}));
  EXPECT_THROW(apply(j, event(EventKind::Settled, {{"cost", 5}})), IllegalTransition) << "settled once";

  Job pending;
  apply(pending, event(EventKind::Submitted, {{"hold", true}}));
  EXPECT_EQ(pending.reason, reason::kHeld);
  EXPECT_THROW(apply(pending, event(EventKind::Requeued, {{"to_pending", true}})), IllegalTransition)
      << "a pending job is not requeued";
  EXPECT_THROW(apply(pending, event(EventKind::NodeFailed)), IllegalTransition);

  Job checkpointed = running_job();
  apply(checkpointed, event(EventKind::MilestoneVerified, {{"milestone", 2}, {"sha256", "d2"}}));
  EXPECT_THROW(apply(checkpointed, event(EventKind::MilestoneVerified, {{"milestone", 1}, {"sha256", "d1"}})),
               IllegalTransition)
      << "checkpoints only move forward";
  EXPECT_EQ(checkpointed.checkpoint_milestone, 2u);
}

TEST(JobEvents, AReplicaMovesOnlyForward) {
  Replica r;
  r.id = 7;
  apply(r, event(EventKind::ReplicaStarted, {{"lease", 7}}));
  EXPECT_EQ(r.state, ReplicaState::Running);
  EXPECT_THROW(apply(r, event(EventKind::ReplicaStarted, {{"lease", 7}})), IllegalTransition);
  apply(r, event(EventKind::ReplicaReported, {{"lease", 7}, {"outcome", "COMPLETED"}, {"exit_code", 0}, {"root", "x"}}));
  EXPECT_EQ(r.state, ReplicaState::Done);
  EXPECT_EQ(r.root, "x");
  EXPECT_THROW(apply(r, event(EventKind::ReplicaLost, {{"lease", 7}})), IllegalTransition)
      << "a lease that reported is not lost afterwards";
  EXPECT_THROW(apply(r, event(EventKind::ReplicaCancelled, {{"lease", 7}})), IllegalTransition);
  EXPECT_THROW(apply(r, event(EventKind::Held)), IllegalTransition) << "not an event of a lease";
}

TEST(JobEvents, AnEventOutsideATransactionIsRefusedByTheStore) {
  test::TempDir dir("og-journal-test");
  JobStore store(dir.path() / "s.db", false);
  JobEvent e = event(EventKind::Submitted);
  e.seq = 1;
  EXPECT_THROW(store.append_event(e), std::logic_error);
  auto txn = store.transaction();
  store.append_event(e);
  JobEvent second = event(EventKind::Held);
  second.seq = 2;
  store.append_event(second);
  JobEvent fork = event(EventKind::Released);
  fork.seq = 2;
  EXPECT_ANY_THROW(store.append_event(fork)) << "a journal never forks";
  txn.commit();
  auto events = store.load_events(1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, EventKind::Held);
}

std::vector<std::string> names(const std::vector<JobEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.emplace_back(to_string(e.kind));
  return out;
}

// The journal of a job, once it holds `last` (the scheduling loop settles a moment after
// the verdict).
std::vector<std::string> journal_until(Controller& c, const User& user, uint64_t id, const std::string& last) {
  std::vector<std::string> got;
  auto deadline = Clock::now() + kDeadline;
  while (Clock::now() < deadline) {
    got = names(c.queries().job_events(user, id));
    if (std::find(got.begin(), got.end(), last) != got.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return got;
}

using Names = std::vector<std::string>;

class JournalTest : public ControllerTest {
 protected:
  // Two providers, p1 cheaper than p2, each running one replica of the job just submitted.
  struct TwoRunning {
    FakeWorker a, b;
    uint64_t lease_a = 0, lease_b = 0;
  };
  // A job of two replicas, submitted by `user`, both running.
  std::pair<uint64_t, TwoRunning> replicated_job_running(const User& user) {
    JobSpec s = spec();
    s.replicas = 2;
    uint64_t id = c().submissions().submit(user, s)[0];
    return {id, two_replicas_running()};
  }
  TwoRunning two_replicas_running() {
    TwoRunning t{worker(account("w1", "worker"), "p1", 4, 1), worker(account("w2", "worker"), "p2", 4, 2)};
    auto la = t.a.poll_until(1), lb = t.b.poll_until(1);
    EXPECT_EQ(la.size() + lb.size(), 2u);
    if (!la.empty()) t.lease_a = la[0].replica.id;
    if (!lb.empty()) t.lease_b = lb[0].replica.id;
    return t;
  }
};

TEST_F(JournalTest, AHeldJobThatRunsAndIsVerifiedLeavesEachStepInOrder) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.hold = true;
  uint64_t id = c().submissions().submit(alice, s)[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  c().submissions().set_hold(alice, id, false);
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  w.complete(leases[0].replica.id, "result");
  EXPECT_EQ(journal_until(c(), alice, id, "settled"),
            (Names{"submitted", "released", "replica_assigned", "replica_started", "replica_reported", "verified",
                   "settled"}));
  auto events = c().queries().job_events(alice, id);
  EXPECT_EQ(events[0].actor, "alice");
  EXPECT_TRUE(events[0].context.value("hold", false));
  EXPECT_EQ(events[2].context.value("partition", ""), "p1");
  EXPECT_EQ(events[4].actor, "p1") << "a report is the worker's doing";
  EXPECT_EQ(events[5].context.value("root", ""), job(id).canonical_root);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, i + 1);
  EXPECT_TRUE(std::is_sorted(events.begin(), events.end(),
                             [](const JobEvent& a, const JobEvent& b) { return a.time_us < b.time_us; }));
}

TEST_F(JournalTest, ARequeueAndALostReplicaAreInTheHistory) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto first = w.poll_until(1);
  ASSERT_EQ(first.size(), 1u);
  c().submissions().requeue_job(alice, id);  // og-scontrol requeue: its worker is told to stop it
  w.poll(0);
  w.complete(first[0].replica.id, "", 0, Outcome::Cancelled);  // stopped as asked
  auto second = w.poll_until(1);
  ASSERT_EQ(second.size(), 1u);
  w.poll(0);          // the worker confirms it runs the lease...
  w.running.clear();  // ...then restarts and forgets it: lost, requeued
  w.poll(0);
  Names got = names(c().queries().job_events(alice, id));
  Names expected{"submitted", "replica_assigned", "replica_started", "cancel_requested", "requeued",
                 "replica_cancelled", "replica_assigned", "replica_started", "replica_lost", "requeued"};
  ASSERT_GE(got.size(), expected.size());
  EXPECT_EQ(Names(got.begin(), got.begin() + expected.size()), expected);
  auto events = c().queries().job_events(alice, id);
  EXPECT_TRUE(events[4].context.value("to_pending", false));
  EXPECT_EQ(events[4].actor, "alice");
  EXPECT_EQ(job(id).requeue_count, 2u);
}

TEST_F(JournalTest, DisagreementAsksForAnExtraReplicaThenEndsWithoutQuorum) {
  options_.max_replicas = 3;
  make();
  User alice = account("alice", "user");
  auto [id, running] = replicated_job_running(alice);
  auto& [a, b, lease_a, lease_b] = running;
  ASSERT_TRUE(lease_a != 0 && lease_b != 0);
  FakeWorker third = worker(account("w3", "worker"), "p3", 4, 3);
  a.complete(lease_a, "one");
  b.complete(lease_b, "two");
  auto lc = third.poll_until(1);
  ASSERT_EQ(lc.size(), 1u);
  third.complete(lc[0].replica.id, "three");
  Names got = journal_until(c(), alice, id, "settled");
  EXPECT_EQ(std::count(got.begin(), got.end(), "extra_replica"), 1);
  EXPECT_EQ(std::count(got.begin(), got.end(), "replica_reported"), 3);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[got.size() - 2], "no_quorum");
  EXPECT_EQ(job(id).reason, reason::kNoQuorum);
}

TEST_F(JournalTest, TheHistoryIsTheOwnersAndAdminsToRead) {
  make();
  User alice = account("alice", "user");
  User bob = account("bob", "user");
  User root = account("root", "admin");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  c().submissions().cancel_job(alice, id);
  EXPECT_EQ(journal_until(c(), root, id, "settled"), (Names{"submitted", "cancelled", "settled"}));
  expect_api_error([&] { c().queries().job_events(bob, id); }, 403, "forbidden");
  expect_api_error([&] { c().queries().job_events(alice, id + 100); }, 404, "job_not_found");
}

// What a restarted og-schedd holds is what the journal says: every job's row equals the
// replay of its events, and the events survive as they were.
TEST_F(JournalTest, AfterARestartEachJobIsTheReplayOfItsJournal) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1", 1);
  JobSpec held = spec();
  held.hold = true;
  uint64_t done = c().submissions().submit(alice, spec())[0];
  uint64_t waiting = c().submissions().submit(alice, held)[0];
  uint64_t cancelled = c().submissions().submit(alice, spec())[0];
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  c().submissions().cancel_job(alice, cancelled);
  w.complete(leases[0].replica.id, "ok");
  journal_until(c(), alice, done, "settled");
  std::map<uint64_t, std::vector<JobEvent>> before;
  for (uint64_t id : {done, waiting, cancelled}) before[id] = c().queries().job_events(alice, id);

  make();
  for (uint64_t id : {done, waiting, cancelled}) {
    auto after = c().queries().job_events(alice, id);
    ASSERT_EQ(names(after), names(before[id])) << "job " << id;
    Job live = job(id);
    Job replayed = replay(live, after);
    EXPECT_EQ(replayed.state, live.state) << "job " << id;
    EXPECT_EQ(replayed.reason, live.reason) << "job " << id;
    EXPECT_EQ(replayed.start_us, live.start_us) << "job " << id;
    EXPECT_EQ(replayed.end_us, live.end_us) << "job " << id;
    EXPECT_EQ(replayed.canonical_root, live.canonical_root) << "job " << id;
    EXPECT_EQ(replayed.settled, live.settled) << "job " << id;
    EXPECT_EQ(replayed.spec.hold, live.spec.hold) << "job " << id;
  }
  EXPECT_EQ(job(waiting).reason, reason::kHeld);
}

TEST_F(JournalTest, ASatisfiedDependencyIsAnEventAndIsClearedAsSlurmClearsIt) {
  make();
  User alice = account("alice", "user");
  uint64_t first = c().submissions().submit(alice, spec())[0];
  JobSpec then = spec();
  then.dependency = "afterok:" + std::to_string(first);
  uint64_t second = c().submissions().submit(alice, then)[0];
  FakeWorker w = worker(account("w1", "worker"), "p1", 1);
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job.id, first);
  EXPECT_EQ(names(c().queries().job_events(alice, second)), (Names{"submitted"})) << "still waiting";
  w.complete(leases[0].replica.id, "ok");
  Names got = journal_until(c(), alice, second, "replica_assigned");
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(Names(got.begin(), got.begin() + 3), (Names{"submitted", "dependency_resolved", "replica_assigned"}));
  auto events = c().queries().job_events(alice, second);
  EXPECT_EQ(events[1].context.value("dependency", ""), then.dependency) << "the history keeps what it waited on";
  EXPECT_EQ(job(second).spec.dependency, "") << "Dependency=(null) once satisfied";

  make();  // the cleared dependency is what was stored, so a restart does not wait again
  EXPECT_EQ(job(second).spec.dependency, "");
  EXPECT_EQ(names(c().queries().job_events(alice, second)), got);
}

}  // namespace
}  // namespace og

namespace og {
namespace {

// A manifest with one CSV output.
std::pair<std::string, std::string> csv_manifest(const std::string& content) {
  Manifest m;
  m.files = {{"out.csv", content.size(), sha256_hex(content)}};
  m.root = merkle_root(m.files);
  return {to_json(m).dump(), m.root};
}

TEST_F(JournalTest, AFuzzyComparisonRunsOffTheLockAndPostsItsVerdictAsAnEvent) {
  make();
  std::map<std::string, std::string> blobs;
  const std::string one = "x\n1.0000001\n", two = "x\n1.0000002\n";
  blobs[sha256_hex(one)] = one;
  blobs[sha256_hex(two)] = two;
  std::promise<void> open_gate;
  std::shared_future<void> gate = open_gate.get_future().share();
  std::atomic<int> reads{0};
  c().set_blob_reader([&](const std::string& sha) -> std::optional<std::string> {
    ++reads;
    gate.wait();  // as a 1 GiB read would take its time
    return blobs.at(sha);
  });
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.replicas = 2;
  s.verify = "fuzzy:1e-6";
  uint64_t id = c().submissions().submit(alice, s)[0];
  auto [a, b, lease_a, lease_b] = two_replicas_running();
  ASSERT_TRUE(lease_a != 0 && lease_b != 0);
  auto [ma, ra] = csv_manifest(one);
  auto [mb, rb] = csv_manifest(two);
  c().leases().complete(a.user, lease_a, CompletionReport{Outcome::Completed, 0, ma, ra});
  c().leases().complete(b.user, lease_b, CompletionReport{Outcome::Completed, 0, mb, rb});
  auto deadline = Clock::now() + kDeadline;
  while (reads == 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_GT(reads.load(), 0) << "the comparison never started";
  // The comparer is stuck in its reads: og-schedd still answers workers and users (were
  // the comparison under its lock, these would wait as long as the reads).
  auto answered = std::async(std::launch::async, [&] {
    a.poll(0);
    b.poll(0);
    return c().queries().list_jobs({}).jobs.size();
  });
  ASSERT_EQ(answered.wait_for(kDeadline), std::future_status::ready) << "a poll waited for the comparison";
  EXPECT_EQ(answered.get(), 1u);
  EXPECT_EQ(job(id).state, JobState::Running) << "the verdict waits for the comparison";
  open_gate.set_value();
  Names got = journal_until(c(), alice, id, "settled");
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[got.size() - 2], "verified");
  EXPECT_EQ(got.back(), "settled");
  EXPECT_EQ(job(id).state, JobState::Completed);
}

}  // namespace
}  // namespace og

namespace og {
namespace {

TEST_F(JournalTest, AHandedBackRunGoesElsewhereAndItsHistorySaysWhy) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  CompletionReport back{Outcome::HandedBack, 0, "", ""};
  back.handback_reason = "its sandbox failed to start";
  c().leases().complete(w.user, leases[0].replica.id, back);
  auto events = c().queries().job_events(alice, id);
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events[3].kind, EventKind::ReplicaHandedBack);
  EXPECT_EQ(describe(events[3]), "lease " + std::to_string(leases[0].replica.id) +
                                     " handed back by p1: its sandbox failed to start");
  EXPECT_EQ(events[4].kind, EventKind::Requeued);
  EXPECT_TRUE(events[4].context.value("to_pending", false));
  EXPECT_EQ(job(id).requeue_count, 1u);
}

TEST_F(JournalTest, ALostJobThatMayNotBeRequeuedEndsNodeFailed) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.requeue = false;
  uint64_t id = c().submissions().submit(alice, s)[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  ASSERT_EQ(w.poll_until(1).size(), 1u);
  w.poll(0);  // confirmed running, then forgotten
  w.running.clear();
  w.poll(0);
  EXPECT_EQ(journal_until(c(), alice, id, "settled"),
            (Names{"submitted", "replica_assigned", "replica_started", "replica_lost", "node_failed", "settled"}));
}

TEST_F(JournalTest, AMilestoneAQuorumAgreesOnIsInTheHistoryOnce) {
  make();
  User alice = account("alice", "user");
  auto [id, running] = replicated_job_running(alice);
  auto& [a, b, lease_a, lease_b] = running;
  ASSERT_TRUE(lease_a != 0 && lease_b != 0);
  const std::string digest = sha256_hex("checkpoint 1");
  EXPECT_FALSE(c().leases().milestone(a.user, lease_a, 1, digest)) << "one replica is no quorum";
  EXPECT_TRUE(c().leases().milestone(b.user, lease_b, 1, digest));
  c().leases().milestone(b.user, lease_b, 1, digest);  // said again: nothing new
  auto events = c().queries().job_events(alice, id);
  auto verified = std::count_if(events.begin(), events.end(),
                                [](const JobEvent& e) { return e.kind == EventKind::MilestoneVerified; });
  EXPECT_EQ(verified, 1);
  auto it = std::find_if(events.begin(), events.end(), [](const JobEvent& e) { return e.kind == EventKind::MilestoneVerified; });
  ASSERT_NE(it, events.end());
  EXPECT_EQ(it->context.value("sha256", ""), digest);
  EXPECT_EQ(job(id).checkpoint_milestone, 1u);
}

}  // namespace
}  // namespace og

namespace og {
namespace {

// Stopping a job's replicas records an event for each, and each record() replaces the job
// whose list of replicas is being walked (a review found the walk reading freed memory; it
// walks a copy now — only a sanitizer build sees the read itself). Both are told to stop.
TEST_F(JournalTest, CancellingAJobWithTwoRunningReplicasStopsBoth) {
  make();
  User alice = account("alice", "user");
  auto [id, running] = replicated_job_running(alice);
  auto& [a, b, lease_a, lease_b] = running;
  ASSERT_TRUE(lease_a != 0 && lease_b != 0);
  c().submissions().cancel_job(alice, id);
  a.poll(0);
  b.poll(0);
  EXPECT_EQ(a.cancels, std::vector<uint64_t>{lease_a});
  EXPECT_EQ(b.cancels, std::vector<uint64_t>{lease_b});
  Names got = names(c().queries().job_events(alice, id));
  EXPECT_EQ(std::count(got.begin(), got.end(), "cancel_requested"), 2);
  EXPECT_EQ(std::count(got.begin(), got.end(), "cancelled"), 1);
  EXPECT_EQ(job(id).state, JobState::Cancelled);
}

}  // namespace
}  // namespace og
