// Quorums captured by bad-faith providers, and a requester's dispute of one: one
// credential with two partitions, a pair of colluding credentials, and an audit by
// established providers that overturns a forged result.
#include <gtest/gtest.h>

#include <set>

#include "core/money.hpp"
#include "tests/integration/fake_provider.hpp"

namespace og::test {
namespace {

using nlohmann::json;

// Honest og-workers answer 42; the attacker's fake partitions are cheaper.
class CapturedQuorum : public ::testing::Test {
 protected:
  void start(int honest) {
    mesh.start_schedd();
    for (int i = 0; i < honest; ++i) mesh.start_worker(1, {"--price", "36"});
    mesh.await_workers(honest);
  }
  uint64_t submit_replicated() {
    return mesh.client().call("POST", "/og/v1/jobs",
        job_body("#!/bin/bash\necho 42 > answer.txt\n", {{"replicas", 3}, {"quorum", 2}, {"max_price_micros", 36'000'000}, {"exclude_stdio", true}}))["job_id"];
  }
  int64_t micros(const std::string& user, const std::string& field) {
    return parse_money_micros(mesh.client(user).call("GET", "/og/v1/wallet")[field].get<std::string>());
  }
  Mesh mesh;
};

TEST_F(CapturedQuorum, OneCredentialWithTwoPartitionsGetsOneReplicaAndPaysABondForEach) {
  start(2);
  FakeProvider mallory(mesh, "mallory");
  ASSERT_EQ(mallory.offer("evil-a", 1, "op-a").status, 200);
  ASSERT_EQ(mallory.offer("evil-b", 1, "op-b").status, 200);
  EXPECT_EQ(micros("mallory", "bond"), 20'000'000) << "a bond for each partition";
  uint64_t id = submit_replicated();
  json leases;
  ASSERT_TRUE(await([&] {
    leases = mesh.client().call("GET", "/og/v1/jobs/" + std::to_string(id))["jobs"][0]["replica_leases"];
    return leases.size() >= 3;
  }));
  std::vector<std::string> evil;
  for (const auto& l : leases)
    if (l["partition"].get<std::string>().rfind("evil", 0) == 0) evil.push_back(l["partition"]);
  ASSERT_EQ(evil.size(), 1u) << "one credential, one replica of the job: " << leases.dump();
  // Its forgery is outvoted (or comes after the honest quorum has already decided).
  auto mine = mallory.poll(evil[0], 1000);
  if (!mine.empty()) {
    auto r = mallory.report(mine[0]["lease_id"], "41\n");
    EXPECT_TRUE(r.status == 200 || r.status == 409) << r.body;
  }
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  json job;
  ASSERT_TRUE(await([&] { return (job = mesh.job(id)).value("settled", false); }));  // paid at settlement
  EXPECT_EQ(job["canonical_root"], merkle_root({{"answer.txt", 3, sha256_hex("42\n")}}));
  auto paid = job["paid_to"].get<std::string>();  // in the order the replicas were drawn
  EXPECT_TRUE(paid == "worker-1,worker-2" || paid == "worker-2,worker-1") << paid;
}

TEST_F(CapturedQuorum, TwoCollidingCredentialsNeverSlashTheHonestProvider) {
  start(1);  // the Sybil pair and one honest provider
  FakeProvider s1(mesh, "sybil-1"), s2(mesh, "sybil-2");
  ASSERT_EQ(s1.offer("cheap-1", 1).status, 200);
  ASSERT_EQ(s2.offer("cheap-2", 1).status, 200);
  int64_t honest_bond = micros("worker-1", "bond");
  uint64_t id = submit_replicated();
  auto l1 = s1.poll("cheap-1"), l2 = s2.poll("cheap-2");
  ASSERT_EQ(l1.size(), 1u);
  ASSERT_EQ(l2.size(), 1u);
  EXPECT_EQ(s1.report(l1[0]["lease_id"], "forged\n").status, 200);
  EXPECT_EQ(s2.report(l2[0]["lease_id"], "forged\n").status, 200);
  auto job = mesh.wait_job(id);
  // Two newcomers outvote one: they may win this job's payment (README says so) ...
  EXPECT_EQ(job["job_state"], "COMPLETED");
  // ... but a bare majority of newcomers proves nothing against the honest provider.
  ASSERT_TRUE(await([&] { return mesh.job(id).value("settled", false); }));
  EXPECT_EQ(micros("worker-1", "bond"), honest_bond) << "not slashed";
  auto parts = mesh.client().call("GET", "/og/v1/partitions")["partitions"];
  for (const auto& p : parts)
    if (p["name"] == "worker-1") {
      EXPECT_GE(p["reputation"].get<double>(), 0.5) << "nor marked invalid";
    }
}

// A dispute: two Sybil newcomers won a job's quorum with a forgery (no established witness,
// so nobody was slashed then); the requester disputes it, established providers that share
// nothing with the first three re-run it, and the forgery is overturned.
TEST(Dispute, AnAuditByEstablishedProvidersOverturnsACapturedResultAndSlashesWhoAgreedOnIt) {
  Mesh mesh;
  mesh.start_schedd({"--placement", "cheapest", "--established-after", "1"});
  for (int i = 0; i < 4; ++i) mesh.start_worker(1, {"--price", "36"});
  mesh.await_workers(4);
  auto submit = [&](int replicas, int quorum) {
    return mesh.client().call("POST", "/og/v1/jobs",
        job_body("#!/bin/bash\necho 42 > answer.txt\n", {{"replicas", replicas}, {"quorum", quorum},
                                                           {"max_price_micros", 36'000'000}, {"exclude_stdio", true}}))["job_id"]
        .get<uint64_t>();
  };
  auto settled = [&](uint64_t id) {
    json job;
    EXPECT_TRUE(await([&] { return (job = mesh.job(id)).value("settled", false); }, std::chrono::seconds(60)));
    return job;
  };
  // The honest four confirm each other once: established.
  uint64_t warm = submit(4, 4);
  ASSERT_EQ(settled(warm)["job_state"], "COMPLETED");
  // Now the Sybils, cheapest, take two of three replicas and forge.
  FakeProvider s1(mesh, "sybil-1"), s2(mesh, "sybil-2");
  ASSERT_EQ(s1.offer("cheap-1", 1).status, 200);
  ASSERT_EQ(s2.offer("cheap-2", 1).status, 200);
  uint64_t id = submit(3, 2);
  auto l1 = s1.poll("cheap-1"), l2 = s2.poll("cheap-2");
  ASSERT_EQ(l1.size(), 1u);
  ASSERT_EQ(l2.size(), 1u);
  EXPECT_EQ(s1.report(l1[0]["lease_id"], "forged\n").status, 200);
  EXPECT_EQ(s2.report(l2[0]["lease_id"], "forged\n").status, 200);
  json forged = settled(id);
  ASSERT_EQ(forged["canonical_root"], merkle_root({{"answer.txt", 7, sha256_hex("forged\n")}}));
  auto micros = [&](const std::string& user, const std::string& field) {
    return parse_money_micros(mesh.client(user).call("GET", "/og/v1/wallet")[field].get<std::string>());
  };
  int64_t alice_before = micros("alice", "balance");
  // Only its requester may dispute it, once.
  EXPECT_EQ(mesh.client("bob").request("POST", "/og/v1/jobs/" + std::to_string(id) + "/dispute").status, 403);
  auto disputed = mesh.run({"og-scontrol", "dispute", std::to_string(id)});
  ASSERT_EQ(disputed.exit_code, 0) << disputed.err;
  EXPECT_NE(disputed.out.find("audit job"), std::string::npos) << disputed.out;
  EXPECT_EQ(mesh.client().request("POST", "/og/v1/jobs/" + std::to_string(id) + "/dispute").status, 409);
  uint64_t audit = std::stoull(disputed.out.substr(disputed.out.find("audit job ") + 10));
  json audited = settled(audit);
  EXPECT_EQ(audited["job_state"], "COMPLETED");
  EXPECT_EQ(audited["canonical_root"], merkle_root({{"answer.txt", 3, sha256_hex("42\n")}}));
  // It ran on none of the first job's providers.
  std::set<std::string> first, second;
  auto audit_view = mesh.client().call("GET", "/og/v1/jobs/" + std::to_string(audit))["jobs"][0];
  for (const auto& l : audit_view["replica_leases"]) second.insert(l["partition"].get<std::string>());
  auto original_view = mesh.client().call("GET", "/og/v1/jobs/" + std::to_string(id))["jobs"][0];
  for (const auto& l : original_view["replica_leases"]) first.insert(l["partition"].get<std::string>());
  for (const auto& p : second) EXPECT_FALSE(first.count(p)) << p << " ran both";
  // Overturned: the Sybils' bonds pay, half to the requester; the honest one keeps its own.
  EXPECT_EQ(mesh.job(id)["state_reason"], "Overturned");
  // Both are in the disputed job's history, naming the audit.
  auto history = mesh.client().call("GET", "/og/v1/jobs/" + std::to_string(id) + "/events")["events"];
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history[history.size() - 2]["name"], "disputed");
  EXPECT_EQ(history.back()["name"], "overturned");
  EXPECT_EQ(history.back()["context"]["audit"], audit);
  EXPECT_EQ(micros("sybil-1", "bond"), 0);
  EXPECT_EQ(micros("sybil-2", "bond"), 0);
  int64_t audit_cost = parse_money_micros(audited["cost"].get<std::string>());
  EXPECT_EQ(micros("alice", "balance"), alice_before - audit_cost + 2 * 5'000'000);
}

TEST(Dispute, IsForAcceptedResultsWithinTheWindowOnly) {
  Mesh mesh;
  mesh.start_schedd({"--dispute-window", "0"});
  mesh.start_worker(1);
  mesh.await_workers(1);
  uint64_t done = mesh.client().call("POST", "/og/v1/jobs", job_body("#!/bin/bash\ntrue\n"))["job_id"];
  ASSERT_EQ(mesh.wait_job(done)["job_state"], "COMPLETED");
  auto late = mesh.client().request("POST", "/og/v1/jobs/" + std::to_string(done) + "/dispute");
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(error_code(late), "dispute_window_closed");
  uint64_t held = mesh.client().call("POST", "/og/v1/jobs", job_body("#!/bin/bash\ntrue\n", {{"hold", true}}))["job_id"];
  auto early = mesh.client().request("POST", "/og/v1/jobs/" + std::to_string(held) + "/dispute");
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(error_code(early), "nothing_to_dispute");
}

}  // namespace
}  // namespace og::test
