// A job's history through the real binaries: the events endpoint, og-scontrol show job's
// Events, and og-schedd killed -9 at random points while jobs flow — after each restart
// every job is what its journal says, and no acknowledged event is lost or rewritten.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "scheduler/job_events.hpp"
#include "scheduler/job_store.hpp"
#include "tests/integration/fake_provider.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

using nlohmann::json;

TEST(JobHistory, TheEventsEndpointAndScontrolShowTheJobsLifeToItsOwner) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  auto alice = mesh.client("alice");
  uint64_t id = alice.call("POST", "/og/v1/jobs", job_body("#!/bin/bash\necho hi\n", {{"hold", true}}))["job_id"];
  alice.call("POST", "/og/v1/jobs/" + std::to_string(id) + "/release");
  EXPECT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  ASSERT_TRUE(await([&] { return mesh.job(id)["settled"].get<bool>(); }));
  auto events = alice.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/events")["events"];
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(e["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"submitted", "released", "replica_assigned", "replica_started",
                                             "replica_reported", "verified", "settled"}));
  EXPECT_EQ(events[0]["actor"], "alice");
  EXPECT_EQ(events[0]["text"], "submitted by alice (held)");

  // Like the job's outputs, its history is its owner's (and admins'): not another user's,
  // nor a worker's.
  mesh.token("bob");
  auto bob = mesh.client("bob").request("GET", "/og/v1/jobs/" + std::to_string(id) + "/events");
  EXPECT_EQ(bob.status, 403);
  EXPECT_EQ(error_code(bob), "forbidden");
  auto worker = HttpClient(mesh.url(), mesh.token("worker-1")).request("GET", "/og/v1/jobs/" + std::to_string(id) + "/events");
  EXPECT_EQ(worker.status, 403);
  EXPECT_EQ(mesh.client("bob").request("GET", "/og/v1/jobs/999999/events").status, 404);

  auto shown = mesh.run({"og-scontrol", "show", "job", std::to_string(id)});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("   Events:\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("Z submitted by alice (held)\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("Z released by alice\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("verified: a quorum agreed on root"), std::string::npos) << shown.out;
  auto as_json = json::parse(mesh.run({"og-scontrol", "show", "job", std::to_string(id), "--json"}).out);
  EXPECT_EQ(as_json["jobs"][0]["events"].size(), events.size());
  auto for_bob = mesh.run({"og-scontrol", "show", "job", std::to_string(id)}, "bob");
  ASSERT_EQ(for_bob.exit_code, 0) << for_bob.err;
  EXPECT_NE(for_bob.out.find("Events: shown to the job's owner and admins"), std::string::npos) << for_bob.out;
}

TEST(JobHistory, KilledAtRandomPointsTheSchedulerRebuildsWhatItsJournalsSay) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.start_worker(2);
  mesh.await_workers(2);
  mesh.token("alice");
  std::mt19937 rng(std::random_device{}());
  std::map<uint64_t, json> acknowledged;  // job id → its events as read before a kill
  for (int round = 0; round < 3; ++round) {
    std::mutex mu;
    std::vector<uint64_t> submitted;
    std::atomic<bool> stop{false};
    // Jobs of every kind flow: replicated, held and released, cancelled while they run.
    std::thread user([&] {
      HttpClient c(mesh.url(), mesh.token("alice"));
      for (int i = 0; !stop; ++i) {
        try {
          json extra = {{"replicas", 1 + i % 2}, {"hold", i % 3 == 0}};
          uint64_t id = c.call("POST", "/og/v1/jobs", job_body("#!/bin/bash\necho $RANDOM > out.txt\n", extra))["job_id"];
          if (i % 3 == 0) c.call("POST", "/og/v1/jobs/" + std::to_string(id) + "/release");
          if (i % 5 == 4) c.request("DELETE", "/og/v1/jobs/" + std::to_string(id));
          std::lock_guard lock(mu);
          submitted.push_back(id);
        } catch (const std::exception&) {  // og-schedd died before answering
        }
      }
    });
    ASSERT_TRUE(await([&] {
      std::lock_guard lock(mu);
      return submitted.size() >= 10;
    }));
    // Read histories until a random moment, then kill -9 in the middle of whatever runs.
    auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::uniform_int_distribution(50, 600)(rng));
    HttpClient reader(mesh.url(), mesh.token("alice"));
    while (std::chrono::steady_clock::now() < kill_at) {
      uint64_t id;
      {
        std::lock_guard lock(mu);
        id = submitted[std::uniform_int_distribution<size_t>(0, submitted.size() - 1)(rng)];
      }
      acknowledged[id] = reader.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/events")["events"];
    }
    mesh.kill_schedd(9);
    stop = true;
    user.join();

    {  // The database as the kill left it: every job is the replay of its journal.
      JobStore store(mesh.dir() + "/schedd/schedd.db", false);
      auto snapshot = store.load_snapshot(0);
      ASSERT_FALSE(snapshot.jobs.empty());
      for (const Job& row : snapshot.jobs) {
        auto events = store.load_events(row.id);
        ASSERT_FALSE(events.empty()) << "job " << row.id << " has no journal";
        EXPECT_EQ(events.front().kind, EventKind::Submitted);
        Job replayed = replay(row, events);
        EXPECT_EQ(replayed.state, row.state) << "job " << row.id;
        EXPECT_EQ(replayed.requeue_count, row.requeue_count) << "job " << row.id;
        EXPECT_EQ(replayed.canonical_root, row.canonical_root) << "job " << row.id;
        EXPECT_EQ(replayed.settled, row.settled) << "job " << row.id;
        EXPECT_EQ(replayed.end_us, row.end_us) << "job " << row.id;
        EXPECT_EQ(replayed.spec.hold, row.spec.hold) << "job " << row.id;
        if (is_finished(row.state)) {
          EXPECT_EQ(replayed.reason, row.reason) << "job " << row.id;
        }
      }
    }
    mesh.start_schedd();
    // What was read before the kill is still there, unchanged, at the head of each history.
    HttpClient after(mesh.url(), mesh.token("alice"));
    for (const auto& [id, before] : acknowledged) {
      auto now = after.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/events")["events"];
      ASSERT_GE(now.size(), before.size()) << "job " << id;
      for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(now[i], before[i]) << "job " << id << " event " << i;
    }
  }
  EXPECT_GE(acknowledged.size(), 3u);
}

}  // namespace
}  // namespace og::test
