// The Controller in-process (no HTTP): submission, leases, completion and quorum,
// ownership checks, lost leases and requeue, heartbeats, arrays, holds and restarts.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/job_signature.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "core/time_util.hpp"
#include "scheduler/controller.hpp"
#include "verify/manifest.hpp"
#include "temp_dir.hpp"
#include "controller_fixture.hpp"

namespace og {
namespace {

TEST_F(ControllerTest, APartitionNoProviderOffersIsRefusedAtSubmissionNamingThoseThatExist) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "gpu-farm");
  JobSpec s = spec();
  s.partition = "nope";
  try {
    c().submissions().submit(alice, s);
    FAIL() << "accepted a partition nobody offers";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), "invalid_partition");
    EXPECT_NE(std::string(e.what()).find("gpu-farm"), std::string::npos) << "names those there are: " << e.what();
  }
  expect_api_error([&] { c().submissions().test_only(alice, s); }, 400, "invalid_partition");
  s.partition = "nope,gpu-farm";  // one of a list unknown: refused, as sbatch does
  expect_api_error([&] { c().submissions().submit(alice, s); }, 400, "invalid_partition");
  c().leases().set_drain(account("root", "admin"), "gpu-farm", true);  // known but not taking work: accepted
  s.partition = "gpu-farm";
  EXPECT_EQ(c().submissions().submit(alice, s).size(), 1u);
}

TEST_F(ControllerTest, SubmitCreatesPendingJob) {
  make();
  User alice = account("alice", "user");
  auto ids = c().submissions().submit(alice, spec());
  ASSERT_EQ(ids.size(), 1u);
  Job j = job(ids[0]);
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_EQ(j.user, "alice");
  EXPECT_EQ(j.spec.time_limit_s, options_.default_time_limit_s);  // default filled in
  EXPECT_FALSE(j.is_array_task());
  EXPECT_GT(j.submit_us, 0);
  auto listed = c().queries().list_jobs(JobFilter{}).jobs;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].job.id, ids[0]);
}

TEST_F(ControllerTest, ListingTheNewestGivesTheHighestIdsAndHowManyMatched) {
  make();
  User alice = account("alice", "user"), bob = account("bob", "user");
  std::vector<uint64_t> alices;
  for (int i = 0; i < 5; ++i) {
    alices.push_back(c().submissions().submit(alice, spec())[0]);
    c().submissions().submit(bob, spec());
  }
  JobFilter filter;
  filter.users = {"alice"};
  filter.newest = 2;
  auto listing = c().queries().list_jobs(filter);
  EXPECT_EQ(listing.matched, 5u);
  ASSERT_EQ(listing.jobs.size(), 2u);
  EXPECT_EQ(listing.jobs[0].job.id, alices[3]);  // by id, the two newest of alice's
  EXPECT_EQ(listing.jobs[1].job.id, alices[4]);
  filter.newest = 0;
  EXPECT_EQ(c().queries().list_jobs(filter).jobs.size(), 5u);
}

TEST_F(ControllerTest, AuthenticateAndUsers) {
  make(false);
  std::string token = c().credentials().add_user("alice", "user");
  EXPECT_EQ(token.size(), 64u);
  auto u = c().credentials().authenticate(token);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->name, "alice");
  EXPECT_EQ(u->role, "user");
  EXPECT_FALSE(c().credentials().authenticate("").has_value());
  EXPECT_FALSE(c().credentials().authenticate(token + "x").has_value());
  expect_api_error([&] { c().credentials().add_user("alice", "user"); }, 409, "user_exists");
  expect_api_error([&] { c().credentials().add_user("bad name", "user"); }, 400, "invalid_user");
  expect_api_error([&] { c().credentials().add_user("carol", "root"); }, 400, "invalid_role");
}

TEST_F(ControllerTest, RegisterNeedsWorkerRole) {
  make(false);
  User alice = account("alice", "user");
  Partition p;
  p.name = "p1";
  p.cpus = 1;
  expect_api_error([&] { c().leases().register_partition(alice, p); }, 403, "forbidden");
  User w1 = account("w1", "worker"), w2 = account("w2", "worker");
  c().leases().register_partition(w1, p);
  // Another worker cannot take over a registered partition.
  expect_api_error([&] { c().leases().register_partition(w2, p); }, 403, "forbidden");
  EXPECT_EQ(partition("p1").owner, "w1");
  EXPECT_EQ(partition("p1").state, PartitionState::Up);
  // Polling needs the owner too.
  expect_api_error([&] { c().leases().poll(w2, "p1", 0, {}, 0); }, 403, "forbidden");
  expect_api_error([&] { c().leases().poll(w1, "nope", 0, {}, 0); }, 404, "partition_not_found");
}

TEST_F(ControllerTest, LeaseDeliveredAndCompleted) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec(2))[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job.id, id);
  EXPECT_EQ(leases[0].replica.partition, "p1");
  EXPECT_EQ(leases[0].replica.state, ReplicaState::Running);
  EXPECT_EQ(leases[0].job.spec.script, spec().script);

  Job running = job(id);
  EXPECT_EQ(running.state, JobState::Running);
  EXPECT_GT(running.start_us, 0);
  EXPECT_EQ(partition("p1").used_cpus, 2u);
  EXPECT_EQ(c().queries().get_job(id)->view.nodelist, "p1");

  auto [manifest, root] = manifest_of("hello\n");
  w.complete(leases[0].replica.id, "hello\n");
  Job done = job(id);
  EXPECT_EQ(done.state, JobState::Completed);
  EXPECT_EQ(done.canonical_root, root);
  EXPECT_EQ(done.canonical_replica, leases[0].replica.id);
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_GT(done.end_us, 0);
  EXPECT_EQ(partition("p1").used_cpus, 0u);
  EXPECT_EQ(c().queries().canonical_manifest(alice, id), manifest);
  EXPECT_EQ(c().queries().wait_job(id, 0).job.state, JobState::Completed);
}

TEST_F(ControllerTest, NonZeroExitIsFailed) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  w.complete(leases[0].replica.id, "partial", 3);
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::Failed);
  EXPECT_EQ(j.exit_code, 3);
  EXPECT_EQ(j.reason, reason::kNonZeroExit);
}

TEST_F(ControllerTest, WaitJobReturnsWhenFinishedElsewhere) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  std::thread finisher([&] { w.complete(leases[0].replica.id, "x"); });
  JobView v = c().queries().wait_job(id, 10'000'000);
  finisher.join();
  EXPECT_EQ(v.job.state, JobState::Completed);
  expect_api_error([&] { c().queries().wait_job(987654, 0); }, 404, "job_not_found");
}

TEST_F(ControllerTest, MajorityRootWinsWithThreeReplicas) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.replicas = 3;
  uint64_t id = c().submissions().submit(alice, s)[0];
  FakeWorker w1 = worker(account("w1", "worker"), "p1");
  FakeWorker w2 = worker(account("w2", "worker"), "p2");
  FakeWorker w3 = worker(account("w3", "worker"), "p3");
  auto l1 = w1.poll_until(1), l2 = w2.poll_until(1), l3 = w3.poll_until(1);
  ASSERT_EQ(l1.size(), 1u);
  ASSERT_EQ(l2.size(), 1u);
  ASSERT_EQ(l3.size(), 1u);
  EXPECT_EQ(l1[0].job.id, id);
  EXPECT_EQ(l2[0].job.id, id);
  EXPECT_EQ(l3[0].job.id, id);

  w1.complete(l1[0].replica.id, "good");
  EXPECT_EQ(job(id).state, JobState::Running);  // 1 of 2 votes
  w2.complete(l2[0].replica.id, "evil");
  EXPECT_EQ(job(id).state, JobState::Running);  // still reachable
  w3.complete(l3[0].replica.id, "good");
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::Completed);
  EXPECT_EQ(j.canonical_root, manifest_of("good").second);
  EXPECT_TRUE(j.canonical_replica == l1[0].replica.id || j.canonical_replica == l3[0].replica.id);
  for (const auto& r : replicas(id)) EXPECT_EQ(r.state, ReplicaState::Done);
}

TEST_F(ControllerTest, DisagreeingReplicasGiveNoQuorum) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.replicas = 2;
  uint64_t id = c().submissions().submit(alice, s)[0];
  FakeWorker w1 = worker(account("w1", "worker"), "p1");
  FakeWorker w2 = worker(account("w2", "worker"), "p2");
  auto l1 = w1.poll_until(1), l2 = w2.poll_until(1);
  ASSERT_EQ(l1.size(), 1u);
  ASSERT_EQ(l2.size(), 1u);
  w1.complete(l1[0].replica.id, "one");
  w2.complete(l2[0].replica.id, "two");
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::Failed);
  EXPECT_EQ(j.reason, reason::kNoQuorum);
  EXPECT_EQ(j.canonical_root, "");
  expect_api_error([&] { c().queries().canonical_manifest(alice, id); }, 409, "no_result");
}

TEST_F(ControllerTest, CancelByAnotherUserIsForbidden) {
  make();
  User alice = account("alice", "user"), bob = account("bob", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  expect_api_error([&] { c().submissions().cancel_job(bob, id); }, 403, "forbidden");
  EXPECT_EQ(job(id).state, JobState::Pending);
  expect_api_error([&] { c().submissions().cancel_job(alice, 424242); }, 404, "job_not_found");
}

TEST_F(ControllerTest, CancelPendingJob) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  JobView v = c().submissions().cancel_job(alice, id);
  EXPECT_EQ(v.job.state, JobState::Cancelled);
  EXPECT_EQ(job(id).state, JobState::Cancelled);
  EXPECT_GT(job(id).end_us, 0);
  expect_api_error([&] { c().submissions().cancel_job(alice, id); }, 409, "job_finished");
  // An admin may cancel anyone's job.
  User admin = account("root", "admin");
  uint64_t other = c().submissions().submit(alice, spec())[0];
  EXPECT_EQ(c().submissions().cancel_job(admin, other).job.state, JobState::Cancelled);
  // A cancelled job is never leased.
  FakeWorker w = worker(account("w1", "worker"), "p1");
  EXPECT_TRUE(w.poll(300'000).empty());
}

TEST_F(ControllerTest, CancelRunningJobTellsTheWorker) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  uint64_t lease = leases[0].replica.id;
  EXPECT_EQ(c().submissions().cancel_job(alice, id).job.state, JobState::Cancelled);
  w.poll(2'000'000);  // returns at once: a cancel is waiting
  EXPECT_EQ(w.cancels, std::vector<uint64_t>{lease});
  w.complete(lease, "", 143, Outcome::Cancelled);
  EXPECT_EQ(replicas(id).at(0).state, ReplicaState::Cancelled);
  EXPECT_EQ(partition("p1").used_cpus, 0u);
  EXPECT_EQ(c().queries().get_job(id)->view.nodelist, "p1") << "where it ran, as Slurm's NodeList keeps it";
}

TEST_F(ControllerTest, CompleteByForeignWorkerIsForbidden) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w1 = worker(account("w1", "worker"), "p1");
  User w2 = account("w2", "worker");
  auto leases = w1.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  auto [manifest, root] = manifest_of("x");
  expect_api_error(
      [&] { c().leases().complete(w2, leases[0].replica.id, {Outcome::Completed, 0, manifest, root}); }, 403,
      "forbidden");
  EXPECT_EQ(job(id).state, JobState::Running);
  expect_api_error([&] { c().leases().complete(w2, 999999, {Outcome::Completed, 0, manifest, root}); }, 404,
                   "lease_not_found");
}

TEST_F(ControllerTest, CompleteOnInactiveLeaseIsConflict) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  w.complete(leases[0].replica.id, "first");
  expect_api_error([&] { w.complete(leases[0].replica.id, "second"); }, 409, "lease_inactive");
  EXPECT_EQ(job(id).canonical_root, manifest_of("first").second);
}

TEST_F(ControllerTest, ForgottenLeaseIsLostAndJobRequeued) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  uint64_t lease = leases[0].replica.id;
  // Drain first so the scheduler cannot hand the requeued job straight back.
  c().leases().set_drain(w.user, "p1", true);
  w.poll(0);          // the worker confirms it runs the lease...
  w.running.clear();  // ...then restarts and forgets it
  EXPECT_TRUE(w.poll(0).empty());
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_EQ(j.requeue_count, 1u);
  auto reps = replicas(id);
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_EQ(reps[0].id, lease);
  EXPECT_EQ(reps[0].state, ReplicaState::Lost);
  EXPECT_EQ(reps[0].outcome, "NODE_FAIL");
  EXPECT_EQ(partition("p1").used_cpus, 0u);
  // A late report from the forgotten run is not accepted.
  expect_api_error([&] { w.complete(lease, "late"); }, 409, "lease_inactive");
  // Resumed, the job runs again under a new lease.
  c().leases().set_drain(w.user, "p1", false);
  auto again = w.poll_until(1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].job.id, id);
  EXPECT_NE(again[0].replica.id, lease);
  EXPECT_EQ(again[0].job.requeue_count, 1u);
}

TEST_F(ControllerTest, ForgottenLeaseWithoutRequeueIsNodeFail) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.requeue = false;
  uint64_t id = c().submissions().submit(alice, s)[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  w.poll(0);  // confirmed running, then forgotten
  w.running.clear();
  w.poll(0);
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::NodeFail);
  EXPECT_EQ(j.reason, reason::kNodeFail);
  EXPECT_EQ(j.requeue_count, 0u);
}

TEST_F(ControllerTest, RequeueLimitEndsInNodeFail) {
  options_.max_requeue = 1;
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(account("w1", "worker"), "p1");
  ASSERT_EQ(w.poll_until(1).size(), 1u);
  w.poll(0);  // confirmed running, then forgotten
  w.running.clear();
  // Lost once: requeued. The scheduler may hand it back within this very poll.
  auto again = w.poll(0);
  EXPECT_EQ(job(id).requeue_count, 1u);
  if (again.empty()) again = w.poll_until(1);
  ASSERT_EQ(again.size(), 1u);
  w.poll(0);
  w.running.clear();
  w.poll(0);  // lost twice: over the limit
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::NodeFail);
  EXPECT_EQ(j.requeue_count, 1u);
}

TEST_F(ControllerTest, SilentPartitionGoesDownAndItsJobIsRequeued) {
  options_.heartbeat_timeout_us = 300'000;
  make();
  User alice = account("alice", "user");
  FakeWorker dead = worker(account("w1", "worker"), "dead", 4, /*price=*/1);
  FakeWorker alive = worker(account("w2", "worker"), "alive", 4, /*price=*/2);
  uint64_t id = c().submissions().submit(alice, spec())[0];
  // The cheaper partition takes the job; then its worker goes silent. The live worker
  // keeps polling (each poll blocks up to the capped wait) until the job comes to it.
  uint64_t first_lease = 0;
  std::vector<Lease> moved;
  auto deadline = Clock::now() + kDeadline;
  while (Clock::now() < deadline && moved.empty()) {
    if (first_lease == 0) {
      auto l = dead.poll(0);
      if (!l.empty()) first_lease = l[0].replica.id;
    }
    for (const auto& l : alive.poll(50'000))
      if (l.job.id == id) moved.push_back(l);
  }
  ASSERT_EQ(moved.size(), 1u) << "the job never moved to the live partition";
  EXPECT_EQ(partition("dead").state, PartitionState::Down);
  EXPECT_NE(partition("alive").state, PartitionState::Down);
  Job j = job(id);
  EXPECT_EQ(j.requeue_count, 1u);
  EXPECT_EQ(j.state, JobState::Running);
  auto reps = replicas(id);
  ASSERT_EQ(reps.size(), 2u);
  EXPECT_EQ(reps[0].partition, "dead");
  EXPECT_EQ(reps[0].state, ReplicaState::Lost);
  EXPECT_EQ(reps[1].partition, "alive");
  // When the silent worker comes back, its partition is usable again and the stale lease
  // it still runs is cancelled.
  if (first_lease != 0) {
    dead.poll(0);
    EXPECT_EQ(partition("dead").state, PartitionState::Up);
    EXPECT_EQ(dead.cancels, std::vector<uint64_t>{first_lease});
  }
}

TEST_F(ControllerTest, ArrayCreatesTasksAndHonoursThrottle) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.array = "0-3%2";
  auto ids = c().submissions().submit(alice, s);
  ASSERT_EQ(ids.size(), 4u);
  for (size_t i = 0; i < ids.size(); ++i) {
    Job j = job(ids[i]);
    EXPECT_EQ(j.array_job_id, ids[0]) << i;
    EXPECT_EQ(j.array_task_id, static_cast<int64_t>(i));
    EXPECT_TRUE(j.is_array_task());
  }
  JobFilter by_array;
  by_array.ids = {ids[0]};
  EXPECT_EQ(c().queries().list_jobs(by_array).jobs.size(), 4u);  // the array id matches all its tasks

  FakeWorker w = worker(account("w1", "worker"), "p1", /*cpus=*/16);
  auto count_running = [&] {
    size_t n = 0;
    for (uint64_t id : ids) n += job(id).state == JobState::Running;
    return n;
  };
  auto first = w.poll_until(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(w.poll(300'000).empty()) << "a third task started despite %2";
  EXPECT_EQ(count_running(), 2u);
  EXPECT_EQ(job(ids[2]).reason, "JobArrayTaskLimit");

  size_t completed = 0;
  std::vector<Lease> queue = first;
  while (!queue.empty()) {
    Lease l = queue.front();
    queue.erase(queue.begin());
    w.complete(l.replica.id, "task");
    ++completed;
    if (completed + queue.size() < ids.size()) {
      auto next = w.poll_until(1);
      ASSERT_EQ(next.size(), 1u);
      queue.insert(queue.end(), next.begin(), next.end());
    }
    EXPECT_LE(count_running(), 2u);
  }
  EXPECT_EQ(completed, 4u);
  for (uint64_t id : ids) EXPECT_EQ(job(id).state, JobState::Completed);
}

TEST_F(ControllerTest, HeldJobIsNotLeasedUntilReleased) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.hold = true;
  uint64_t id = c().submissions().submit(alice, s)[0];
  EXPECT_EQ(job(id).reason, reason::kHeld);
  FakeWorker w = worker(account("w1", "worker"), "p1");
  EXPECT_TRUE(w.poll(300'000).empty());
  Job held = job(id);
  EXPECT_EQ(held.state, JobState::Pending);
  EXPECT_EQ(held.reason, reason::kHeld);
  User bob = account("bob", "user");
  expect_api_error([&] { c().submissions().set_hold(bob, id, false); }, 403, "forbidden");
  JobView released = c().submissions().set_hold(alice, id, false);
  EXPECT_FALSE(released.job.spec.hold);
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job.id, id);
  expect_api_error([&] { c().submissions().set_hold(alice, id, true); }, 409, "not_pending");
}

TEST_F(ControllerTest, HoldAPendingJob) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];  // no partitions yet: stays pending
  EXPECT_EQ(c().submissions().set_hold(alice, id, true).job.reason, reason::kHeld);
  FakeWorker w = worker(account("w1", "worker"), "p1");
  EXPECT_TRUE(w.poll(300'000).empty());
  c().submissions().set_hold(alice, id, false);
  ASSERT_EQ(w.poll_until(1).size(), 1u);
}

TEST_F(ControllerTest, NoFittingPartitionLeavesReason) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1", /*cpus=*/2);
  auto too_big = c().submissions().test_only(alice, spec(8));
  EXPECT_TRUE(too_big.partitions.empty());
  EXPECT_EQ(too_big.reason, "Resources");
  EXPECT_FALSE(too_big.estimate.has_value());  // no offer will ever hold it
  EXPECT_NE(too_big.why.find("it asks for 8 CPUs; the most a partition offers is 2"), std::string::npos) << too_big.why;
  JobSpec named = spec(8);
  named.partition = "p1";  // the partition named is too small for it, ever
  EXPECT_EQ(c().submissions().test_only(alice, named).reason, "PartitionConfig");
  // As sbatch refuses a job no node could ever run, with what is missing.
  try {
    c().submissions().submit(alice, spec(8));
    ADD_FAILURE() << "a job larger than every partition was accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), "unsatisfiable");
    EXPECT_NE(std::string(e.what()).find("8 CPUs"), std::string::npos) << e.what();
  }
  uint64_t id = c().submissions().submit(alice, spec(1))[0];
  ASSERT_EQ(w.poll_until(1).size(), 1u) << "one that fits runs";
  EXPECT_EQ(job(id).state, JobState::Running);
  auto fits = c().submissions().test_only(alice, spec(1));
  EXPECT_EQ(fits.partitions, std::vector<std::string>{"p1"});
  EXPECT_EQ(fits.reason, "");
}

TEST_F(ControllerTest, TestOnlyAndStartPlanShowWhenAndAtWhatCost) {
  make();
  User alice = account("alice", "user");
  // 2 CPUs at 1.00 per CPU-hour.
  FakeWorker w = worker(account("w1", "worker"), "p1", /*cpus=*/2, /*price=*/1'000'000);
  JobSpec hour = spec(2);
  hour.time_limit_s = 3600;
  int64_t before = now_unix_us();
  auto now = c().submissions().test_only(alice, hour);
  EXPECT_EQ(now.partitions, std::vector<std::string>{"p1"});
  ASSERT_TRUE(now.estimate.has_value());
  EXPECT_EQ(now.estimate->cost_micros, 2'000'000);  // 2 CPUs × 1 hour × 1.00
  EXPECT_LE(now.estimate->start_us, now_unix_us());
  // Once it runs, the next such job is planned for when its time limit runs out.
  uint64_t first = c().submissions().submit(alice, hour)[0];
  ASSERT_EQ(w.poll_until(1).size(), 1u);
  uint64_t second = c().submissions().submit(alice, hour)[0];
  auto later = c().submissions().test_only(alice, hour);
  EXPECT_TRUE(later.partitions.empty());
  ASSERT_TRUE(later.estimate.has_value());
  // Behind the second job (same priority, submitted earlier): two hours from now.
  EXPECT_GE(later.estimate->start_us, before + 2 * 3600'000'000LL);
  EXPECT_LE(later.estimate->start_us, now_unix_us() + 2 * 3600'000'000LL);
  auto plan = c().queries().expected_starts();
  EXPECT_FALSE(plan.count(first));  // running: nothing to plan
  ASSERT_TRUE(plan.count(second));
  EXPECT_GE(plan[second].start_us, before + 3600'000'000LL);
  EXPECT_LE(plan[second].start_us, now_unix_us() + 3600'000'000LL);
  EXPECT_EQ(plan[second].partitions, std::vector<std::string>{"p1"});
}

TEST_F(ControllerTest, MalformedDependencyIsRefused) {
  make(false);
  JobSpec s = spec();
  s.dependency = "afterwards:1";
  expect_api_error([&] { c().submissions().submit(User{"alice", "user"}, s); }, 400, "invalid_spec");
}

TEST_F(ControllerTest, RestartKeepsJobsLeasesAndPartitions) {
  make();
  User alice = account("alice", "user");
  User w1 = account("w1", "worker");
  uint64_t running_id = c().submissions().submit(alice, spec())[0];
  FakeWorker w = worker(w1, "p1", /*cpus=*/1);
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  uint64_t lease = leases[0].replica.id;
  uint64_t pending_id = c().submissions().submit(alice, spec())[0];  // waits: p1 is full
  uint64_t done_id = c().submissions().submit(alice, spec())[0];
  c().submissions().cancel_job(alice, done_id);

  make();  // destroy the controller; a new one reads the same database
  Job r = job(running_id);
  EXPECT_EQ(r.state, JobState::Running);
  auto reps = replicas(running_id);
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_EQ(reps[0].id, lease);
  // Delivery is not persisted: the lease is active and will be offered to p1 again.
  EXPECT_TRUE(is_active(reps[0].state));
  EXPECT_EQ(job(pending_id).state, JobState::Pending);
  EXPECT_EQ(job(done_id).state, JobState::Cancelled);
  Partition p = partition("p1");
  EXPECT_EQ(p.owner, "w1");
  EXPECT_EQ(p.used_cpus, 1u);  // the running lease's allocation is rebuilt
  // Credentials survive too.
  EXPECT_TRUE(c().credentials().authenticate(c().credentials().add_user("carol", "user")).has_value());
  expect_api_error([&] { c().credentials().add_user("alice", "user"); }, 409, "user_exists");

  // The worker carries on: its lease is still valid and the queue moves on.
  w.c = &c();
  w.poll(0);
  EXPECT_TRUE(w.cancels.empty());
  w.complete(lease, "after restart");
  EXPECT_EQ(job(running_id).state, JobState::Completed);
  auto next = w.poll_until(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job.id, pending_id);
  // Ids continue after the old ones.
  EXPECT_GT(c().submissions().submit(alice, spec())[0], done_id);
}

// Regression (fixed): schedule_pass() does txn.emplace(store_.transaction()); the
// temporary Transaction is copied into the optional and its destructor rolls back at once,
// so the pass's writes are autocommitted one by one and the final commit() throws ("no
// transaction is active"), aborting the pass (evict_finished is skipped).
TEST_F(ControllerTest, SchedulingPassThatAssignsDoesNotFail) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1");
  ::testing::internal::CaptureStderr();
  c().submissions().submit(alice, spec());
  auto leases = w.poll_until(1);  // the pass that assigned has finished (it holds the lock)
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(log.find("scheduling_pass_failed"), std::string::npos) << log;
}

// Regression (fixed): set_hold() changes only the in-memory spec; the hold is not
// written to the store, so a job held with og-scontrol hold runs after a restart.
TEST_F(ControllerTest, HoldSurvivesRestart) {
  make();
  User alice = account("alice", "user");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  c().submissions().set_hold(alice, id, true);
  make();
  EXPECT_TRUE(job(id).spec.hold);
  FakeWorker w = worker(account("w1", "worker"), "p1");
  EXPECT_TRUE(w.poll(300'000).empty());
}

// Regression (fixed): load_state() counts array_active_ once per active replica,
// but assign()/finish_job() count once per task, so after a restart an array with
// replicas > 1 stays throttled forever.
TEST_F(ControllerTest, ArrayThrottleAfterRestartWithReplicas) {
  make();
  User alice = account("alice", "user");
  JobSpec s = spec();
  s.array = "0-3%2";
  s.replicas = 2;
  auto ids = c().submissions().submit(alice, s);
  ASSERT_EQ(ids.size(), 4u);
  std::vector<User> users;
  for (int i = 0; i < 4; ++i) users.push_back(account("w" + std::to_string(i), "worker"));
  std::vector<FakeWorker> ws;
  for (int i = 0; i < 4; ++i) ws.push_back(worker(users[i], "p" + std::to_string(i), 1));
  std::vector<std::pair<size_t, Lease>> held;
  auto deadline = Clock::now() + kDeadline;
  while (held.size() < 4 && Clock::now() < deadline)
    for (size_t i = 0; i < ws.size(); ++i)
      for (const auto& l : ws[i].poll(50'000)) held.push_back({i, l});
  ASSERT_EQ(held.size(), 4u);  // two tasks × two replicas

  make();
  for (auto& w : ws) w.c = &c();
  for (auto& [i, l] : held) ws[i].complete(l.replica.id, "same");
  size_t more = 0;
  deadline = Clock::now() + std::chrono::seconds(3);
  while (more < 4 && Clock::now() < deadline)
    for (auto& w : ws) more += w.poll(50'000).size();
  EXPECT_EQ(more, 4u) << "the remaining tasks never started";
  EXPECT_NE(job(ids[2]).reason, "JobArrayTaskLimit");
}


TEST_F(ControllerTest, DrainedPartitionFinishesItsWorkButTakesNoMore) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1", /*cpus=*/2);
  uint64_t running = c().submissions().submit(alice, spec())[0];
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  c().leases().set_drain(w.user, "p1", true);
  EXPECT_EQ(partition("p1").state, PartitionState::Drain);
  uint64_t waiting = c().submissions().submit(alice, spec())[0];
  EXPECT_TRUE(w.poll(100'000).empty()) << "a draining partition must take no new lease";
  EXPECT_TRUE(w.cancels.empty()) << "draining must not stop running work";
  w.complete(leases[0].replica.id, "done");
  EXPECT_EQ(job(running).state, JobState::Completed);
  EXPECT_EQ(job(waiting).state, JobState::Pending);
  EXPECT_EQ(job(waiting).reason, "PartitionDown");
  c().leases().set_drain(w.user, "p1", false);
  auto next = w.poll_until(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job.id, waiting);
}

TEST_F(ControllerTest, BeginTimeHoldsTheJobUntilDue) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1");
  JobSpec later = spec();
  later.begin_time = now_unix_s() + 2;  // whole seconds, as --begin gives
  uint64_t id = c().submissions().submit(alice, later)[0];
  EXPECT_TRUE(w.poll(200'000).empty());
  EXPECT_EQ(job(id).reason, "BeginTime");
  // The scheduler wakes by itself at the begin time: no other event is needed.
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_GE(now_unix_us(), later.begin_time * 1'000'000);
}


TEST_F(ControllerTest, DependentJobWaitsForItsTargetAndFollowsItsOutcome) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1");
  uint64_t first = c().submissions().submit(alice, spec())[0];
  JobSpec ok = spec(), notok = spec();
  ok.dependency = "afterok:" + std::to_string(first);
  notok.dependency = "afternotok:" + std::to_string(first);
  uint64_t on_ok = c().submissions().submit(alice, ok)[0];
  uint64_t on_fail = c().submissions().submit(alice, notok)[0];
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job.id, first);
  EXPECT_TRUE(w.poll(100'000).empty());
  EXPECT_EQ(job(on_ok).reason, "Dependency");
  w.complete(leases[0].replica.id, "done");
  auto next = w.poll_until(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job.id, on_ok);
  EXPECT_EQ(job(on_fail).state, JobState::Pending);
  EXPECT_EQ(job(on_fail).reason, "DependencyNeverSatisfied");
  // A dependency on a job that does not exist is refused, as sbatch does.
  JobSpec dangling = spec();
  dangling.dependency = "afterok:9999";
  expect_api_error([&] { c().submissions().submit(alice, dangling); }, 400, "invalid_dependency");
}


TEST_F(ControllerTest, ALeaseWhoseAnswerWasLostIsOfferedAgainNotWrittenOff) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1");
  uint64_t id = c().submissions().submit(alice, spec())[0];
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  // The answer never reached the worker: its next poll does not list the lease.
  w.running.clear();
  auto again = w.poll(0);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].replica.id, leases[0].replica.id);
  EXPECT_EQ(job(id).requeue_count, 0u);
  EXPECT_EQ(job(id).state, JobState::Running);
}


TEST_F(ControllerTest, ASecondWorkerProcessForOnePartitionSupersedesTheFirst) {
  make();
  User w1 = account("w1", "worker");
  FakeWorker first = worker(w1, "p1");
  FakeWorker second = worker(w1, "p1");  // same name and credential, registered later
  EXPECT_NE(first.instance, second.instance);
  expect_api_error([&] { first.poll(0); }, 409, "superseded");
  EXPECT_NO_THROW(second.poll(0));
}


TEST_F(ControllerTest, HigherPriorityJobsStartFirst) {
  options_.priority.qos_priority = {{"normal", 0}, {"high", 100}};
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1", /*cpus=*/1);
  uint64_t running = c().submissions().submit(alice, spec())[0];
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  uint64_t normal = c().submissions().submit(alice, spec())[0];
  JobSpec urgent = spec();
  urgent.qos = "high";
  uint64_t high = c().submissions().submit(alice, urgent)[0];
  auto ranked = c().queries().priorities();
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].first.job.id, high);
  EXPECT_EQ(ranked[1].first.job.id, normal);
  w.complete(leases[0].replica.id, "done");
  EXPECT_EQ(job(running).state, JobState::Completed);
  auto next = w.poll_until(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job.id, high) << "the later but higher-QOS job goes first";
}


TEST_F(ControllerTest, RequeueStopsARunningJobAndQueuesItAgain) {
  make();
  User alice = account("alice", "user");
  FakeWorker w = worker(account("w1", "worker"), "p1", /*cpus=*/1);
  uint64_t id = c().submissions().submit(alice, spec())[0];
  auto leases = w.poll_until(1);
  ASSERT_EQ(leases.size(), 1u);
  expect_api_error([&] { c().submissions().requeue_job(account("bob", "user"), id); }, 403, "forbidden");
  JobView v = c().submissions().requeue_job(alice, id);
  EXPECT_EQ(v.job.state, JobState::Pending);
  EXPECT_EQ(v.job.requeue_count, 1u);
  w.poll(0);
  ASSERT_EQ(w.cancels.size(), 1u) << "the worker is told to stop the old run";
  EXPECT_EQ(w.cancels[0], leases[0].replica.id);
  c().leases().complete(w.user, leases[0].replica.id, CompletionReport{Outcome::Cancelled, 143, "", ""});
  w.running.erase(leases[0].replica.id);
  auto again = w.poll_until(1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].job.id, id);
  EXPECT_NE(again[0].replica.id, leases[0].replica.id);
  expect_api_error([&] { c().submissions().update_job(alice, id, {std::nullopt, 5}); }, 409, "not_pending");
}

TEST_F(ControllerTest, UpdateChangesPendingJobsWithinLimits) {
  make();
  User alice = account("alice", "user");
  JobSpec held = spec();
  held.hold = true;
  uint64_t id = c().submissions().submit(alice, held)[0];
  JobView v = c().submissions().update_job(alice, id, {120, 10});
  EXPECT_EQ(v.job.spec.time_limit_s, 120);
  EXPECT_EQ(v.job.spec.nice, 10);
  expect_api_error([&] { c().submissions().update_job(alice, id, {std::nullopt, -5}); }, 403, "forbidden");
  User root = account("root", "admin");
  EXPECT_EQ(c().submissions().update_job(root, id, {std::nullopt, -5}).job.spec.nice, -5);
  // As in Slurm: a user lowers a time limit, only an admin raises it.
  expect_api_error([&] { c().submissions().update_job(alice, id, {600, std::nullopt}); }, 403, "forbidden");
  EXPECT_EQ(c().submissions().update_job(root, id, {600, std::nullopt}).job.spec.time_limit_s, 600);
  EXPECT_EQ(c().submissions().update_job(alice, id, {120, std::nullopt}).job.spec.time_limit_s, 120);
  make();  // persisted
  EXPECT_EQ(job(id).spec.time_limit_s, 120);
}


// Settlement runs on the scheduling thread once every replica has stopped.
bool await_settled(const std::function<Job()>& get) {
  auto deadline = Clock::now() + kDeadline;
  while (Clock::now() < deadline) {
    if (get().settled) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

uint64_t ControllerTest::both_report_the_same(const User& user, const JobSpec& s, FakeWorker& a, FakeWorker& b) {
  uint64_t id = c().submissions().submit(user, s)[0];
  auto la = a.poll_until(1), lb = b.poll_until(1);
  EXPECT_EQ(la.size(), 1u);
  EXPECT_EQ(lb.size(), 1u);
  if (la.size() == 1 && lb.size() == 1) {
    a.complete(la[0].replica.id, "same");
    b.complete(lb[0].replica.id, "same");
  }
  EXPECT_TRUE(await_settled([&] { return job(id); }));
  return id;
}

TEST_F(ControllerTest, ATrustedProviderRunsJobsAloneAfterConfirmedResults) {
  options_.adaptive.trust_after = 2;
  options_.adaptive.spot_check = 0;
  make();
  User alice = account("alice", "user");
  FakeWorker a = worker(account("wa", "worker"), "pa", 4, 100);  // the cheaper: best offer
  FakeWorker b = worker(account("wb", "worker"), "pb", 4, 200);
  JobSpec pair = spec();
  pair.replicas = 2;
  for (int i = 0; i < 2; ++i) both_report_the_same(alice, pair, a, b);  // two results confirmed by the other
  EXPECT_EQ(partition("pa").valid_streak, 2u);
  EXPECT_EQ(partition("pb").valid_streak, 2u);
  uint64_t alone = c().submissions().submit(alice, pair)[0];
  auto la = a.poll_until(1);
  ASSERT_EQ(la.size(), 1u);
  EXPECT_TRUE(b.poll(200'000).empty()) << "a trusted best offer runs it alone";
  a.complete(la[0].replica.id, "same");
  EXPECT_EQ(job(alone).state, JobState::Completed) << "a quorum of one";
  EXPECT_EQ(job(alone).adaptive_replicas, 1u);
  ASSERT_TRUE(await_settled([&] { return job(alone); }));
  EXPECT_EQ(partition("pa").valid_streak, 2u) << "an unconfirmed result earns no trust";
}

TEST_F(ControllerTest, ConfirmationsOnJobsPinnedToChosenProvidersEarnNoTrust) {
  // Two Sybil providers declare a feature of their own and confirm each other on their
  // requester's jobs that ask for it: they must not become established that way.
  make();
  User mallory = account("mallory", "user");
  FakeWorker s1 = worker(account("s1", "worker"), "ps1", 4, 100, "none", {"sybil"});
  FakeWorker s2 = worker(account("s2", "worker"), "ps2", 4, 100, "none", {"sybil"});
  JobSpec pinned = spec();
  pinned.replicas = 2;
  pinned.constraint = "sybil";
  uint64_t id = both_report_the_same(mallory, pinned, s1, s2);
  EXPECT_EQ(job(id).state, JobState::Completed);
  EXPECT_EQ(partition("ps1").valid_streak, 0u);
  EXPECT_EQ(partition("ps1").reputation, 0.5);
  // The same two on a job og-schedd placed: that counts.
  JobSpec drawn = spec();
  drawn.replicas = 2;
  both_report_the_same(mallory, drawn, s1, s2);
  EXPECT_EQ(partition("ps1").valid_streak, 1u);
}

TEST_F(ControllerTest, AFailedSpotCheckBringsAThirdOpinionAndEndsTheTrust) {
  options_.adaptive.trust_after = 0;  // everyone trusted from the start
  options_.adaptive.spot_check = 1;   // and always checked
  options_.economics.slash_witnesses = 0;  // two honest confirmations prove the liar wrong
  make();
  User alice = account("alice", "user");
  FakeWorker a = worker(account("wa", "worker"), "pa", 4, 100);
  FakeWorker b = worker(account("wb", "worker"), "pb", 4, 200);
  FakeWorker d = worker(account("wd", "worker"), "pd", 4, 300);
  JobSpec triple = spec();
  triple.replicas = 3;
  uint64_t id = c().submissions().submit(alice, triple)[0];
  auto la = a.poll_until(1), lb = b.poll_until(1);
  ASSERT_EQ(la.size(), 1u);
  ASSERT_EQ(lb.size(), 1u);
  EXPECT_TRUE(d.poll(200'000).empty()) << "a spot check is two replicas, not the three asked for";
  EXPECT_EQ(job(id).adaptive_replicas, 2u);
  a.complete(la[0].replica.id, "forged");
  b.complete(lb[0].replica.id, "honest");
  auto ld = d.poll_until(1);  // the third opinion
  ASSERT_EQ(ld.size(), 1u);
  d.complete(ld[0].replica.id, "honest");
  EXPECT_EQ(job(id).state, JobState::Completed);
  ASSERT_TRUE(await_settled([&] { return job(id); }));
  EXPECT_EQ(partition("pa").valid_streak, 0u) << "proven wrong: trust starts again";
  EXPECT_LT(partition("pa").reputation, 0.5);
  EXPECT_EQ(partition("pb").valid_streak, 1u);
}

TEST_F(ControllerTest, SignedJobsOnlyWithTheUsersRegisteredKey) {
  options_.require_signed = true;
  make();
  User alice = account("alice", "user");
  KeyPair key = generate_ed25519();
  JobSpec unsigned_spec = spec();
  expect_api_error([&] { c().submissions().submit(alice, unsigned_spec); }, 400, "unsigned_job");
  JobSpec signed_spec = spec();
  sign_job("alice", signed_spec, key);
  expect_api_error([&] { c().submissions().submit(alice, signed_spec); }, 400, "BadSignature");  // no key registered yet
  c().credentials().set_public_key(alice, key.public_hex);
  EXPECT_EQ(c().submissions().submit(alice, signed_spec).size(), 1u);
  JobSpec foreign = spec();
  sign_job("alice", foreign, generate_ed25519());
  expect_api_error([&] { c().submissions().submit(alice, foreign); }, 400, "BadSignature");
  JobSpec altered = signed_spec;
  altered.script += "curl evil\n";
  expect_api_error([&] { c().submissions().submit(alice, altered); }, 400, "BadSignature");
}

TEST_F(ControllerTest, SecretsGoOnlyToTheLeaseHolderAndOnlyUntilTheJobEnds) {
  make();
  User alice = account("alice", "user");
  auto w1 = worker(account("w1", "worker"), "p1", 4, 100, "jail");  // secrets go to jails only
  auto w2 = worker(account("w2", "worker"), "p2", 4, 100, "jail");
  auto open = worker(account("w3", "worker"), "p3", 4, 1, "rlimit");  // cheapest, but no jail
  JobSpec s = spec();
  s.secrets = {"token"};
  expect_api_error([&] { c().submissions().submit(alice, s, {}); }, 400, "invalid_secrets");
  expect_api_error([&] { c().submissions().submit(alice, s, {{"token", "x"}, {"other", "y"}}); }, 400, "invalid_secrets");
  uint64_t id = c().submissions().submit(alice, s, {{"token", std::string("t\0k", 3)}}).front();
  std::vector<Lease> leases;  // the pass runs on its own thread: wait for it
  for (auto until = Clock::now() + kDeadline; leases.empty() && Clock::now() < until;) {
    leases = w1.poll(50'000);
    if (leases.empty()) leases = w2.poll(50'000);
  }
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_TRUE(open.poll(0).empty()) << "never to a partition below a jail, though it is the cheapest";
  uint64_t lease = leases[0].replica.id;
  const User& holder = leases[0].replica.partition == "p1" ? w1.user : w2.user;
  const User& other = leases[0].replica.partition == "p1" ? w2.user : w1.user;
  EXPECT_EQ(c().lease_files().lease_secrets(holder, lease).at("token"), std::string("t\0k", 3));
  expect_api_error([&] { c().lease_files().lease_secrets(other, lease); }, 403, "forbidden");
  auto [manifest, root] = manifest_of("x");
  c().leases().complete(holder, lease, {Outcome::Completed, 0, manifest, root});
  EXPECT_EQ(job(id).state, JobState::Completed);
  expect_api_error([&] { c().lease_files().lease_secrets(holder, lease); }, 409, "lease_inactive");
}

}  // namespace
}  // namespace og
