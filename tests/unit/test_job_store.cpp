// JobStore: the SQLite copy of users, jobs, replicas and partitions.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "scheduler/job_store.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { store_.reset(); }
  void open() {
    store_.reset();
    store_ = std::make_unique<JobStore>((dir_ / "state.db").string(), false);
  }
  JobStore& store() { return *store_; }

  test::TempDir tmp_{"og-jobstore-test"};  // removed after TearDown
  const fs::path dir_ = tmp_.path();
  std::unique_ptr<JobStore> store_;
};

JobSpec full_spec() {
  JobSpec s;
  s.name = "train model";
  s.partition = "gpu";
  s.nodes = 2;
  s.ntasks = 4;
  s.ntasks_per_node = 2;
  s.cpus_per_task = 3;
  s.mem_mb = 8192;
  s.mem_per_cpu_mb = 512;
  s.gpus = 2;
  s.gpu_type = "h100";
  s.time_limit_s = 7200;
  s.output = "out-%j.txt";
  s.error = "err-%j.txt";
  s.array = "0-3%2";
  s.export_mode = "NONE";
  s.environment = {{"FOO", "bar"}, {"EMPTY", ""}};
  s.chdir = "work";
  s.begin_time = 1'700'000'000;
  s.account = "acct";
  s.qos = "high";
  s.nice = -5;
  s.comment = "a \"quoted\" comment\nwith a newline";
  s.hold = true;
  s.requeue = false;
  s.replicas = 3;
  s.quorum = 2;
  s.max_price_micros = 250000;
  s.network = "none";
  s.script = "#!/bin/sh\necho 'hello'\n";
  s.script_args = {"--epochs", "10", ""};
  s.script_name = "train.sh";
  s.submit_dir = "/home/alice/project";
  return s;
}

Job make_job(const std::string& user = "alice") {
  Job j;
  j.user = user;
  j.spec = full_spec();
  j.state = JobState::Pending;
  j.reason = "Priority";
  j.submit_us = 1'700'000'000'123'456;
  j.array_job_id = 0;
  j.array_task_id = 2;
  return j;
}

void expect_spec_eq(const JobSpec& a, const JobSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.partition, b.partition);
  EXPECT_EQ(a.nodes, b.nodes);
  EXPECT_EQ(a.ntasks, b.ntasks);
  EXPECT_EQ(a.ntasks_per_node, b.ntasks_per_node);
  EXPECT_EQ(a.cpus_per_task, b.cpus_per_task);
  EXPECT_EQ(a.mem_mb, b.mem_mb);
  EXPECT_EQ(a.mem_per_cpu_mb, b.mem_per_cpu_mb);
  EXPECT_EQ(a.gpus, b.gpus);
  EXPECT_EQ(a.gpu_type, b.gpu_type);
  EXPECT_EQ(a.time_limit_s, b.time_limit_s);
  EXPECT_EQ(a.output, b.output);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.array, b.array);
  EXPECT_EQ(a.dependency, b.dependency);
  EXPECT_EQ(a.export_mode, b.export_mode);
  EXPECT_EQ(a.environment, b.environment);
  EXPECT_EQ(a.chdir, b.chdir);
  EXPECT_EQ(a.begin_time, b.begin_time);
  EXPECT_EQ(a.account, b.account);
  EXPECT_EQ(a.qos, b.qos);
  EXPECT_EQ(a.nice, b.nice);
  EXPECT_EQ(a.comment, b.comment);
  EXPECT_EQ(a.hold, b.hold);
  EXPECT_EQ(a.requeue, b.requeue);
  EXPECT_EQ(a.replicas, b.replicas);
  EXPECT_EQ(a.quorum, b.quorum);
  EXPECT_EQ(a.max_price_micros, b.max_price_micros);
  EXPECT_EQ(a.network, b.network);
  EXPECT_EQ(a.script, b.script);
  EXPECT_EQ(a.script_args, b.script_args);
  EXPECT_EQ(a.script_name, b.script_name);
  EXPECT_EQ(a.submit_dir, b.submit_dir);
}

Replica make_replica(uint64_t job_id, const std::string& partition) {
  Replica r;
  r.job_id = job_id;
  r.partition = partition;
  r.state = ReplicaState::Assigned;
  r.price_micros = 120000;
  r.start_us = 1'700'000'100'000'000;
  return r;
}

TEST_F(JobStoreTest, InsertAssignsIncreasingIds) {
  uint64_t a = store().insert_job(make_job());
  uint64_t b = store().insert_job(make_job());
  EXPECT_GT(a, 0u);
  EXPECT_GT(b, a);
}

TEST_F(JobStoreTest, InsertAndLoadRoundTrip) {
  Job j = make_job();
  uint64_t id = store().insert_job(j);
  auto loaded = store().load_job(id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->id, id);
  EXPECT_EQ(loaded->user, "alice");
  EXPECT_EQ(loaded->state, JobState::Pending);
  EXPECT_EQ(loaded->reason, "Priority");
  EXPECT_EQ(loaded->submit_us, j.submit_us);
  EXPECT_EQ(loaded->array_job_id, 0u);
  EXPECT_EQ(loaded->array_task_id, 2);
  EXPECT_EQ(loaded->start_us, 0);
  EXPECT_EQ(loaded->end_us, 0);
  EXPECT_EQ(loaded->exit_code, 0);
  EXPECT_EQ(loaded->requeue_count, 0u);
  EXPECT_EQ(loaded->canonical_root, "");
  EXPECT_EQ(loaded->canonical_replica, 0u);
  EXPECT_TRUE(loaded->replicas.empty());
  expect_spec_eq(loaded->spec, j.spec);
}

TEST_F(JobStoreTest, LoadMissingJob) {
  EXPECT_FALSE(store().load_job(12345).has_value());
  EXPECT_EQ(store().nodelist_of(12345), "");
}

TEST_F(JobStoreTest, UpdateJobRoundTripsEveryField) {
  Job j = make_job();
  j.id = store().insert_job(j);
  j.state = JobState::Completed;
  j.reason = "None";
  j.start_us = 1'700'000'200'000'000;
  j.end_us = 1'700'000'300'000'000;
  j.exit_code = -7;
  j.requeue_count = 2;
  j.array_job_id = j.id;
  j.canonical_root = std::string(64, 'a');
  j.canonical_replica = 42;
  store().update_job(j, "p1,p2");
  auto loaded = store().load_job(j.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->state, JobState::Completed);
  EXPECT_EQ(loaded->reason, "None");
  EXPECT_EQ(loaded->start_us, j.start_us);
  EXPECT_EQ(loaded->end_us, j.end_us);
  EXPECT_EQ(loaded->exit_code, -7);
  EXPECT_EQ(loaded->requeue_count, 2u);
  EXPECT_EQ(loaded->array_job_id, j.id);
  EXPECT_EQ(loaded->array_task_id, 2);
  EXPECT_EQ(loaded->canonical_root, j.canonical_root);
  EXPECT_EQ(loaded->canonical_replica, 42u);
  EXPECT_EQ(loaded->submit_us, j.submit_us);
  EXPECT_EQ(store().nodelist_of(j.id), "p1,p2");
  expect_spec_eq(loaded->spec, j.spec);
}

TEST_F(JobStoreTest, UpdateTouchesOnlyItsJob) {
  Job a = make_job("alice"), b = make_job("bob");
  a.id = store().insert_job(a);
  b.id = store().insert_job(b);
  a.state = JobState::Running;
  store().update_job(a, "p1");
  EXPECT_EQ(store().load_job(a.id)->state, JobState::Running);
  EXPECT_EQ(store().load_job(b.id)->state, JobState::Pending);
  EXPECT_EQ(store().nodelist_of(b.id), "");
}

TEST_F(JobStoreTest, ReplicasInsertUpdateLoad) {
  uint64_t job_id = store().insert_job(make_job());
  Replica r1 = make_replica(job_id, "p1");
  r1.id = store().insert_replica(r1);
  Replica r2 = make_replica(job_id, "p2");
  r2.gpu_mask = 0b1010;  // GPUs 1 and 3: which ones survive a restart, not just how many
  r2.id = store().insert_replica(r2);
  EXPECT_GT(r2.id, r1.id);

  r2.state = ReplicaState::Done;
  r2.cancel_requested = true;
  r2.outcome = "COMPLETED";
  r2.exit_code = 3;
  r2.root = std::string(64, 'b');
  r2.manifest_json = R"({"version":1,"files":[],"root":"x"})";
  r2.start_us = 11;
  r2.end_us = 22;
  store().update_replica(r2);

  auto reps = store().load_replicas(job_id);
  ASSERT_EQ(reps.size(), 2u);
  EXPECT_EQ(reps[0].id, r1.id);
  EXPECT_EQ(reps[0].job_id, job_id);
  EXPECT_EQ(reps[0].partition, "p1");
  EXPECT_EQ(reps[0].state, ReplicaState::Assigned);
  EXPECT_FALSE(reps[0].cancel_requested);
  EXPECT_EQ(reps[0].price_micros, 120000);
  EXPECT_EQ(reps[0].gpu_mask, 0u);
  EXPECT_EQ(reps[1].gpu_mask, 0b1010u);
  EXPECT_EQ(reps[0].start_us, r1.start_us);
  EXPECT_EQ(reps[0].end_us, 0);
  EXPECT_EQ(reps[1].id, r2.id);
  EXPECT_EQ(reps[1].partition, "p2");
  EXPECT_EQ(reps[1].state, ReplicaState::Done);
  EXPECT_TRUE(reps[1].cancel_requested);
  EXPECT_EQ(reps[1].outcome, "COMPLETED");
  EXPECT_EQ(reps[1].exit_code, 3);
  EXPECT_EQ(reps[1].root, r2.root);
  EXPECT_EQ(reps[1].manifest_json, r2.manifest_json);
  EXPECT_EQ(reps[1].price_micros, 120000);
  EXPECT_EQ(reps[1].start_us, 11);
  EXPECT_EQ(reps[1].end_us, 22);

  auto job = store().load_job(job_id);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->replicas, (std::vector<uint64_t>{r1.id, r2.id}));
  EXPECT_TRUE(store().load_replicas(job_id + 1000).empty());
}

TEST_F(JobStoreTest, EveryReplicaStateRoundTrips) {
  uint64_t job_id = store().insert_job(make_job());
  for (auto state : {ReplicaState::Assigned, ReplicaState::Running, ReplicaState::Done,
                     ReplicaState::Lost, ReplicaState::Cancelled}) {
    Replica r = make_replica(job_id, "p");
    r.id = store().insert_replica(r);
    r.state = state;
    store().update_replica(r);
    EXPECT_EQ(store().load_replicas(job_id).back().state, state) << to_string(state);
  }
}

TEST_F(JobStoreTest, ReplicaOfUnknownJobIsRefused) {
  // foreign_keys=ON: a replica must belong to a stored job.
  EXPECT_THROW(store().insert_replica(make_replica(999, "p")), std::runtime_error);
}

TEST_F(JobStoreTest, TransactionRollsBackWithoutCommit) {
  uint64_t kept = 0, dropped = 0;
  {
    auto txn = store().transaction();
    kept = store().insert_job(make_job());
    txn.commit();
  }
  {
    auto txn = store().transaction();
    dropped = store().insert_job(make_job());
  }
  EXPECT_TRUE(store().load_job(kept).has_value());
  EXPECT_FALSE(store().load_job(dropped).has_value());
}

TEST_F(JobStoreTest, FinishedJobsSinceCutoffOldestFirst) {
  auto finish = [&](int64_t end_us) {
    Job j = make_job();
    j.id = store().insert_job(j);
    j.state = JobState::Completed;
    j.end_us = end_us;
    store().update_job(j, "");
    return j.id;
  };
  uint64_t late = finish(3000);
  uint64_t old = finish(1000);
  uint64_t edge = finish(2000);
  store().insert_job(make_job());  // unfinished
  (void)old;
  auto jobs = store().load_finished_jobs(2000, 100);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].id, edge);
  EXPECT_EQ(jobs[1].id, late);
  EXPECT_EQ(store().load_finished_jobs(0, 100).size(), 3u);
  EXPECT_EQ(store().load_finished_jobs(0, 1).size(), 1u);
}

TEST_F(JobStoreTest, PartitionsUpsertAndSnapshot) {
  Partition p;
  p.name = "p1";
  p.owner = "worker1";
  p.cpus = 16;
  p.memory_mb = 65536;
  p.gpus = 4;
  p.gpu_type = "h100";
  auto offer = std::make_shared<GpuOffer>();
  for (uint32_t i = 0; i < 4; ++i) {
    GpuDevice g;
    g.index = g.minor = i;
    g.model = "h100";
    g.uuid = "GPU-" + std::to_string(i);
    g.memory_mb = 81559;
    offer->gpu_devices.push_back(g);
  }
  offer->cuda_version = "12.4";
  offer->gpu_prices = {{"h100", 2'400'000}};
  p.gpu = offer;
  p.price_micros = 999;
  p.drain_requested = true;
  p.registered_us = 1234;
  store().upsert_partition(p);
  Partition q = p;
  q.name = "a0";
  q.drain_requested = false;
  store().upsert_partition(q);
  // Updating keeps the original registration time.
  p.cpus = 32;
  p.owner = "worker2";
  p.price_micros = 5;
  p.drain_requested = false;
  p.registered_us = 9999;
  store().upsert_partition(p);

  auto snap = store().load_snapshot(0);
  ASSERT_EQ(snap.partitions.size(), 2u);
  EXPECT_EQ(snap.partitions[0].name, "a0");
  const Partition& got = snap.partitions[1];
  EXPECT_EQ(got.name, "p1");
  EXPECT_EQ(got.owner, "worker2");
  EXPECT_EQ(got.cpus, 32u);
  EXPECT_EQ(got.memory_mb, 65536u);
  EXPECT_EQ(got.gpus, 4u);
  EXPECT_EQ(got.gpu_type, "h100");
  ASSERT_EQ(got.gpu->gpu_devices.size(), 4u);
  EXPECT_EQ(got.gpu->gpu_devices[3].uuid, "GPU-3");
  EXPECT_EQ(got.gpu->gpu_devices[3].memory_mb, 81559u);
  EXPECT_EQ(got.gpu->cuda_version, "12.4");
  EXPECT_EQ(got.gpu->gpu_prices.at("h100"), 2'400'000);
  EXPECT_EQ(got.price_micros, 5);
  EXPECT_FALSE(got.drain_requested);
  EXPECT_EQ(got.registered_us, 1234);
}

TEST_F(JobStoreTest, SnapshotKeepsUnfinishedAndRecentlyFinished) {
  auto add = [&](int64_t end_us, bool settled = true) {
    Job j = make_job();
    j.id = store().insert_job(j);
    if (end_us) {
      j.state = JobState::Failed;
      j.end_us = end_us;
      j.settled = settled;
      store().update_job(j, "p");
    }
    Replica r = make_replica(j.id, "p");
    store().insert_replica(r);
    return j.id;
  };
  uint64_t running = add(0);
  uint64_t recent = add(5000);
  uint64_t at_cutoff = add(4000);
  uint64_t old = add(3999);
  auto snap = store().load_snapshot(4000);
  std::vector<uint64_t> ids;
  for (const auto& j : snap.jobs) ids.push_back(j.id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{running, recent, at_cutoff}));
  std::set<uint64_t> replica_jobs;
  for (const auto& r : snap.replicas) replica_jobs.insert(r.job_id);
  EXPECT_EQ(snap.replicas.size(), 3u);
  EXPECT_EQ(replica_jobs, (std::set<uint64_t>{running, recent, at_cutoff}));
  EXPECT_FALSE(replica_jobs.count(old));
  // The old job is still stored, just not loaded into memory.
  EXPECT_TRUE(store().load_job(old).has_value());
  // An old job not yet paid for comes back, to be settled.
  uint64_t unpaid = add(1000, /*settled=*/false);
  auto again = store().load_snapshot(4000);
  EXPECT_EQ(again.jobs.back().id, unpaid);
  EXPECT_FALSE(again.jobs.back().settled);
}

TEST_F(JobStoreTest, UsersByTokenHash) {
  std::string token = "secret-token";
  store().add_user(User{"alice", "user"}, sha256_hex(token));
  store().add_user(User{"w1", "worker"}, sha256_hex("other"));
  EXPECT_TRUE(store().user_exists("alice"));
  EXPECT_FALSE(store().user_exists("bob"));
  auto u = store().find_user_by_token(sha256_hex(token));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->name, "alice");
  EXPECT_EQ(u->role, "user");
  auto w = store().find_user_by_token(sha256_hex("other"));
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->role, "worker");
  // Only the hash is a key: the raw token does not match.
  EXPECT_FALSE(store().find_user_by_token(token).has_value());
  EXPECT_FALSE(store().find_user_by_token(sha256_hex("nope")).has_value());
}

TEST_F(JobStoreTest, DuplicateUserIsConflict) {
  store().add_user(User{"alice", "user"}, sha256_hex("t1"));
  try {
    store().add_user(User{"alice", "admin"}, sha256_hex("t2"));
    FAIL() << "expected ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), Refusal::Conflict);
    EXPECT_EQ(e.code(), "user_exists");
  }
  // The first credential is unchanged and the second was not stored.
  EXPECT_EQ(store().find_user_by_token(sha256_hex("t1"))->role, "user");
  EXPECT_FALSE(store().find_user_by_token(sha256_hex("t2")).has_value());
}

TEST_F(JobStoreTest, DataSurvivesReopen) {
  Job j = make_job();
  j.id = store().insert_job(j);
  j.state = JobState::Running;
  j.start_us = 77;
  store().update_job(j, "p1");
  Replica r = make_replica(j.id, "p1");
  r.id = store().insert_replica(r);
  Partition p;
  p.name = "p1";
  p.owner = "w";
  p.cpus = 2;
  store().upsert_partition(p);
  store().add_user(User{"alice", "user"}, sha256_hex("tok"));

  open();  // a fresh connection on the same file

  auto loaded = store().load_job(j.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->state, JobState::Running);
  EXPECT_EQ(loaded->start_us, 77);
  EXPECT_EQ(loaded->replicas, std::vector<uint64_t>{r.id});
  expect_spec_eq(loaded->spec, j.spec);
  EXPECT_EQ(store().nodelist_of(j.id), "p1");
  auto snap = store().load_snapshot(0);
  ASSERT_EQ(snap.partitions.size(), 1u);
  EXPECT_EQ(snap.partitions[0].cpus, 2u);
  ASSERT_EQ(snap.replicas.size(), 1u);
  EXPECT_EQ(snap.replicas[0].id, r.id);
  ASSERT_TRUE(store().find_user_by_token(sha256_hex("tok")).has_value());
  // New ids continue after the old ones.
  EXPECT_GT(store().insert_job(make_job()), j.id);
}

// Regression (fixed): Statement::run() does not reset a cached statement when
// step() throws, so after one failed insert_replica every later insert_replica fails in
// bind() with SQLITE_MISUSE.
TEST_F(JobStoreTest, CachedStatementUsableAfterFailedInsert) {
  uint64_t job_id = store().insert_job(make_job());
  EXPECT_THROW(store().insert_replica(make_replica(999999, "p")), std::runtime_error);
  EXPECT_NO_THROW(store().insert_replica(make_replica(job_id, "p")));
}

}  // namespace
}  // namespace og
