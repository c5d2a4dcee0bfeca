// Users and providers acting in bad faith against a real og-schedd, each attack from the
// adversarial test of the mesh reproduced and now failing: outputs claimed by hash, files
// written through a link on the requester's machine, money that overflowed, free compute,
// a restart, names that carry escape sequences, full disks, bundles nobody uses. (Captured
// quorums and disputes: test_quorum_attacks.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "core/money.hpp"
#include "tests/integration/fake_provider.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(Adversarial, AnotherUsersOutputsCannotBeClaimedByTheirHash) {
  Mesh mesh;
  mesh.start_schedd({"--ledger", "none"});
  mesh.start_worker(1);
  mesh.await_workers(1);
  std::string secret = "alice's private result\n";
  uint64_t alice_job = mesh.client("alice").call("POST", "/og/v1/jobs",
      job_body("#!/bin/bash\nprintf \"alice's private result\\n\" > answer.txt\n"))["job_id"];
  ASSERT_EQ(mesh.wait_job(alice_job)["job_state"], "COMPLETED");
  // Her manifests are hers: bob sees the job, not its files' names and digests.
  auto seen_by = [&](const std::string& user) {
    return mesh.client(user).call("GET", "/og/v1/jobs/" + std::to_string(alice_job))["jobs"][0]["replica_leases"][0];
  };
  EXPECT_TRUE(seen_by("alice").contains("manifest"));
  EXPECT_FALSE(seen_by("bob").contains("manifest")) << seen_by("bob").dump();

  // Bob's job on a provider colluding with him, which "completes" it naming her blob.
  FakeProvider mallory(mesh, "mallory");
  ASSERT_EQ(mallory.offer("evil", 0).status, 200);
  uint64_t bob_job = mesh.client("bob").call("POST", "/og/v1/jobs",
      job_body("#!/bin/bash\ntrue\n", {{"partition", "evil"}}))["job_id"];
  auto leases = mallory.poll("evil");
  ASSERT_EQ(leases.size(), 1u);
  uint64_t lease = leases[0]["lease_id"];
  std::string sha = sha256_hex(secret);
  // Probing the store by digest tells it nothing.
  EXPECT_EQ(mallory.client.request("HEAD", "/og/v1/artifacts/" + sha).status, 404);
  EXPECT_EQ(mallory.client.request("HEAD", "/og/v1/artifacts/" + sha + "?lease=" + std::to_string(lease)).status, 404);
  // An upload of other bytes under her digest is refused, and names nothing.
  auto forged = mallory.client.request("PUT", "/og/v1/artifacts/" + sha + "?lease=" + std::to_string(lease), "x", 30000,
                                       "application/octet-stream");
  EXPECT_EQ(forged.status, 400) << forged.body;
  auto claimed = mallory.report(lease, secret, /*upload=*/false);
  EXPECT_EQ(claimed.status, 409) << claimed.body;
  EXPECT_EQ(error_code(claimed), "artifact_missing");
  EXPECT_NE(mesh.job(bob_job, "bob")["job_state"], "COMPLETED");
  EXPECT_NE(mesh.client("bob").request("GET", "/og/v1/jobs/" + std::to_string(bob_job) + "/files/answer.txt").status, 200);
  // Nor through a checkpoint: her digest reported as a milestone (verified alone, with one
  // replica) is asked for — whether or not it is stored — and never handed out unuploaded.
  std::string at = "/og/v1/leases/" + std::to_string(lease);
  auto milestone = mallory.client.call("POST", at + "/milestone", {{"index", 1}, {"digest", sha}});
  EXPECT_EQ(milestone["checkpoint_wanted"], true) << milestone.dump();
  EXPECT_EQ(mallory.client.request("GET", at + "/checkpoint").status, 404);
  // What the lease uploads itself it may name (and then ask about).
  EXPECT_EQ(mallory.report(lease, "bob's own answer\n").status, 200);
  EXPECT_EQ(mesh.wait_job(bob_job, "bob")["job_state"], "COMPLETED");
}

TEST(Adversarial, FetchedOutputsAreNeverWrittenThroughALink) {
  Mesh mesh;
  mesh.start_schedd({"--ledger", "none"});
  mesh.start_worker(1);
  mesh.await_workers(1);
  std::string submit = mesh.dir() + "/submit", outside = mesh.dir() + "/outside";
  fs::create_directories(submit);
  fs::create_directories(outside);
  std::string script = mesh.write_script("links.sh", "#!/bin/bash\nmkdir -p data\necho pwned > data/pwned.txt\n"
                                                     "echo plain > plain.txt\n");
  uint64_t id = mesh.sbatch({script}, submit);
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  fs::create_directory_symlink("../outside", submit + "/data");  // left by the requester, or planted
  auto fetch = mesh.run({"og-fetch", "-D", submit, std::to_string(id)});
  EXPECT_NE(fetch.exit_code, 0);
  EXPECT_NE(fetch.err.find("symbolic link"), std::string::npos) << fetch.err;
  EXPECT_FALSE(fs::exists(outside + "/pwned.txt"));
  // og-sbatch --wait writes the same way.
  auto wait = mesh.run({"og-sbatch", "--wait", script}, "alice", submit);
  EXPECT_NE(wait.exit_code, 0);
  EXPECT_FALSE(fs::exists(outside + "/pwned.txt"));
}

TEST(Adversarial, NoDepositOrPriceCanOverflowTheBook) {
  Mesh mesh;
  mesh.start_schedd({"--faucet", "2000"});
  mesh.token("alice");  // 1000.00 from the faucet
  mesh.token("ops", "admin");
  // The attack: two faucet deposits of 9,000,000,000,000.
  auto huge = mesh.run({"og-wallet", "deposit", "9000000000000"});
  EXPECT_NE(huge.exit_code, 0);
  EXPECT_NE(huge.err.find("ceiling"), std::string::npos) << huge.err;
  // The faucet gives each wallet its limit, no more.
  EXPECT_EQ(mesh.run({"og-wallet", "deposit", "1000"}).exit_code, 0);
  auto more = mesh.run({"og-wallet", "deposit", "0.000001"});
  EXPECT_NE(more.exit_code, 0);
  EXPECT_NE(more.err.find("at most 2000.000000 in all"), std::string::npos) << more.err;
  // An admin funds wallets past the faucet, but no balance passes the ceiling.
  EXPECT_EQ(mesh.run({"og-wallet", "deposit", "999998000", "-u", "alice"}, "ops").exit_code, 0);
  auto past = mesh.run({"og-wallet", "deposit", "0.000001", "-u", "alice"}, "ops");
  EXPECT_NE(past.exit_code, 0);
  EXPECT_NE(past.err.find("ceiling"), std::string::npos) << past.err;
  auto alice = mesh.client("alice").call("GET", "/og/v1/wallet");
  EXPECT_EQ(alice["balance"], "1000000000.000000") << alice.dump();
  // The book still sums to zero, every balance an integer.
  auto metrics = mesh.client("ops").request("GET", "/metrics");
  int64_t sum = 0;
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("og_ledger_balance_micros{", 0) == 0) sum += std::stoll(line.substr(line.rfind(' ') + 1));
  EXPECT_EQ(sum, 0) << metrics.body;
}

TEST(Adversarial, ComputeIsNeverFree) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  // The attack: a price whose cost wrapped negative, so nothing was locked.
  std::string script = mesh.write_script("free.sh", "#!/bin/bash\ntrue\n");
  auto cli = mesh.run({"og-sbatch", "-c", "2", "-t", "120", "--max-price=4611686018427.387903", script});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_NE(cli.err.find("ceiling"), std::string::npos) << cli.err;
  auto api = mesh.client().request("POST", "/og/v1/jobs",
      job_body("#!/bin/bash\ntrue\n", {{"cpus_per_task", 2}, {"time_limit_s", 7200}, {"max_price_micros", 4611686018427387903LL}}).dump());
  EXPECT_EQ(api.status, 400) << api.body;
  // Each factor within bounds, the product past the ceiling: refused, not wrapped.
  auto product = mesh.client().request("POST", "/og/v1/jobs",
      job_body("#!/bin/bash\ntrue\n", {{"ntasks", 1000}, {"time_limit_s", 360000000}, {"max_price_micros", kMaxAmountMicros},
                                       {"replicas", 5}}).dump());
  EXPECT_EQ(product.status, 400) << product.body;
  EXPECT_EQ(error_code(product), "cost_too_large");
  // A locked job cannot then buy more time than its escrow covers: its user may only
  // lower the limit (as in Slurm), an admin raise it within the escrow.
  mesh.token("ops", "admin");
  uint64_t id = mesh.client().call("POST", "/og/v1/jobs", job_body("#!/bin/bash\ntrue\n", {{"hold", true}}))["job_id"];
  std::string job = "JobId=" + std::to_string(id);
  auto longer = mesh.run({"og-scontrol", "update", job, "TimeLimit=20"});
  EXPECT_NE(longer.exit_code, 0);
  EXPECT_NE(longer.err.find("only an admin"), std::string::npos) << longer.err;
  auto unlimited = mesh.run({"og-scontrol", "update", job, "TimeLimit=UNLIMITED"}, "ops");
  EXPECT_NE(unlimited.exit_code, 0);
  EXPECT_NE(unlimited.err.find("escrow holds"), std::string::npos) << unlimited.err;
  EXPECT_EQ(mesh.run({"og-scontrol", "update", job, "TimeLimit=5"}).exit_code, 0) << "a shorter limit is fine";
  EXPECT_EQ(mesh.run({"og-scontrol", "update", job, "TimeLimit=10"}, "ops").exit_code, 0) << "back within its escrow";
  EXPECT_NE(mesh.run({"og-scontrol", "update", job, "TimeLimit=11"}, "ops").exit_code, 0);
}

TEST(Adversarial, ARestartedSchedulerGivesNoWorkToPartitionsItHasNotHeardFrom) {
  Mesh mesh;
  mesh.start_schedd({"--ledger", "none"});
  std::string worker = mesh.start_worker(1);
  mesh.await_workers(1);
  mesh.kill_worker(worker);
  mesh.kill_schedd();
  mesh.start_schedd();
  auto sinfo = mesh.run({"og-sinfo", "-h"});
  EXPECT_NE(sinfo.out.find(" unk "), std::string::npos) << sinfo.out;
  uint64_t id = mesh.client().call("POST", "/og/v1/jobs", job_body("#!/bin/bash\ntrue\n"))["job_id"];
  ASSERT_TRUE(await([&] { return mesh.job(id).value("state_reason", "None") != "None"; })) << "a pass looked at it";
  auto job = mesh.client().call("GET", "/og/v1/jobs/" + std::to_string(id))["jobs"][0];
  EXPECT_EQ(job["job_state"], "PENDING");
  EXPECT_TRUE(job["replica_leases"].empty()) << "no lease to a worker that may be gone";
  mesh.start_worker(1, {}, worker);  // it comes back: the partition takes work again
  EXPECT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
}

TEST(Adversarial, NamesOtherUsersChoseReachTheTerminalInert) {
  Mesh mesh;
  mesh.start_schedd({"--ledger", "none"});
  mesh.token("ops", "admin");  // another user reads the queue
  mesh.client("mallory").call("POST", "/og/v1/jobs",
      job_body("#!/bin/bash\ntrue\n", {{"name", "x\x1b]0;owned\x07\x1b[2J"}, {"comment", "\x1b[31mred"}, {"hold", true}}));
  for (const auto& argv : std::vector<std::vector<std::string>>{{"og-squeue"}, {"og-squeue", "-o", "%i %j %k"},
                                                                 {"og-scontrol", "show", "job", "1"}}) {
    auto r = mesh.run(argv, "ops");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << argv[0] << ": " << r.out;
    EXPECT_NE(r.out.find("x?]0;own"), std::string::npos) << argv[0] << ": " << r.out;
  }
}

TEST(Adversarial, AJobThatFillsItsWorkersDiskIsStoppedWithAClearReason) {
  Mesh mesh;
  mesh.start_schedd({"--ledger", "none"});
  mesh.start_worker(2, {"--job-disk", "16", "--job-files", "500"});
  mesh.await_workers(1);
  auto run = [&](const std::string& script) {
    uint64_t id = mesh.client().call("POST", "/og/v1/jobs", job_body(script))["job_id"];
    auto started = std::chrono::steady_clock::now();
    auto job = mesh.wait_job(id);
    return std::make_pair(job, std::chrono::steady_clock::now() - started);
  };
  auto [big, big_took] = run("#!/bin/bash\nhead -c 64M /dev/zero > big.bin\nsleep 60\n");
  EXPECT_EQ(big["job_state"], "FAILED");
  EXPECT_EQ(big["state_reason"], "DiskQuota");
  EXPECT_LT(big_took, std::chrono::seconds(30)) << "stopped, not left to its time";
  auto [many, many_took] = run("#!/bin/bash\nmkdir d\nfor i in $(seq 2000); do : > d/f$i; done\nsleep 60\n");
  EXPECT_EQ(many["job_state"], "FAILED");
  EXPECT_EQ(many["state_reason"], "DiskQuota");
  // Within the limits nothing happens.
  auto [fine, fine_took] = run("#!/bin/bash\nhead -c 1M /dev/zero > ok.bin\n");
  EXPECT_EQ(fine["job_state"], "COMPLETED");
}

TEST(Adversarial, BundlesAreQuotaedPerUserAndCollectedWhenNoJobNamesThem) {
  Mesh mesh;
  mesh.start_schedd({"--ledger", "none", "--max-user-bundles", "3000", "--bundle-grace", "0"});
  auto upload = [&](char fill) {
    std::string bytes(2000, fill);
    std::string sha = sha256_hex(bytes);
    auto r = mesh.client().request("PUT", "/og/v1/artifacts/" + sha + "?purpose=bundle", bytes, 30000,
                                   "application/octet-stream");
    return std::make_pair(sha, r);
  };
  auto names = [&](const std::string& sha) {
    return mesh.client().request("POST", "/og/v1/jobs",
        job_body("#!/bin/bash\ntrue\n", {{"bundle_sha256", sha}, {"bundle_bytes", 2000}, {"hold", true}}).dump());
  };
  auto [a, first] = upload('a');
  ASSERT_EQ(first.status, 201) << first.body;
  // Nothing names the first: the second upload collects it instead of counting it.
  auto [b, second] = upload('b');
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(names(a).status, 400) << "collected";
  ASSERT_EQ(names(b).status, 201);
  // A pending job names the second: it is kept and counts against the quota.
  auto [c, third] = upload('c');
  EXPECT_EQ(third.status, 413) << third.body;
  EXPECT_EQ(error_code(third), "bundle_quota");
  EXPECT_NE(third.body.find("--max-user-bundles"), std::string::npos) << third.body;
  // Another user's quota is their own.
  std::string other(2000, 'z');
  EXPECT_EQ(mesh.client("bob").request("PUT", "/og/v1/artifacts/" + sha256_hex(other) + "?purpose=bundle", other,
                                       30000, "application/octet-stream").status, 201);
}

}  // namespace
}  // namespace og::test
