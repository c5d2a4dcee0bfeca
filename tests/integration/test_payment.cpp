// Verified results and payment through the real binaries: a lying provider among three,
// a nondeterministic job without quorum, and a scheduler killed around settlement.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "chain/embedded_ledger.hpp"
#include "core/http_client.hpp"
#include "core/money.hpp"
#include "tests/integration/fake_provider.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

int64_t micros(const nlohmann::json& wallet, const char* field) {
  return parse_money_micros(wallet.value(field, std::string("0")));
}

nlohmann::json wallet(Mesh& mesh, const std::string& user) {
  return mesh.client(user).call("GET", "/og/v1/wallet");
}

nlohmann::json settled_job(Mesh& mesh, uint64_t id) {
  EXPECT_TRUE(await([&] { return mesh.job(id).value("settled", false); })) << "job " << id << " never settled";
  return mesh.job(id);
}

// og-sbatch --parsable SCRIPT; the job id, or 0 (and a test failure) when refused.
uint64_t submit_script(Mesh& mesh, const std::string& script) {
  auto r = mesh.run({"og-sbatch", "--parsable", script});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? std::stoull(r.out) : 0;
}

// og-schedd and `workers` one-CPU workers asking 36.00 per CPU-hour (0.01 a second: a
// job of a second or two earns a visible sum); returns alice's balance then. A quorum of
// these newcomers proves a dissenter wrong (--slash-witnesses 0), and replicas go to the
// cheapest offers in name order (--placement cheapest), unless a test says else.
int64_t start_mesh(Mesh& mesh, int workers,
                   std::vector<std::string> schedd_args = {"--slash-witnesses", "0", "--placement", "cheapest"}) {
  mesh.start_schedd(schedd_args);
  for (int i = 0; i < workers; ++i) mesh.start_worker(1, {"--price", "36"});
  mesh.await_workers(workers);
  return micros(wallet(mesh, "alice"), "balance");
}

TEST(Payment, TheLiarIsOutvotedAndSlashedTheHonestArePaidTheRestIsRefunded) {
  Mesh mesh;
  int64_t alice_before = start_mesh(mesh, 3);
  // The fault is the test's: the job script itself answers wrongly on worker-3.
  std::string script = mesh.write_script(
      "vote.sh",
      "#!/bin/bash\n#SBATCH --replicas=3 --time=10 --max-price=36\n"
      "sleep 1\nif [ \"$SLURM_JOB_PARTITION\" = worker-3 ]; then echo 41 >answer.txt; else echo 42 >answer.txt; fi\n");
  uint64_t id = submit_script(mesh, script);
  ASSERT_NE(id, 0u);
  // Locked at submission: 3 replicas × 1 CPU × 10 min × 36.00/h = 18.00.
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 18'000'000);
  auto job = settled_job(mesh, id);
  ASSERT_EQ(job["job_state"], "COMPLETED");
  EXPECT_EQ(job["paid_to"], "worker-1,worker-2");
  int64_t cost = parse_money_micros(job["cost"].get<std::string>());
  int64_t fee = parse_money_micros(job["fee"].get<std::string>());
  EXPECT_GT(cost, 0);
  // About 1 % of the cost, rounded down per replica.
  EXPECT_LE(fee, cost / 100);
  EXPECT_GE(fee, cost / 100 - 2);

  // The requester: paid the cost, got half of the liar's 10.00 bond, nothing left locked.
  auto alice = wallet(mesh, "alice");
  EXPECT_EQ(micros(alice, "balance"), alice_before - cost + 5'000'000);
  EXPECT_EQ(micros(alice, "escrow"), 0);
  // The liar lost its bond; the honest were paid (their wallets: 100 - 10.00 bond + pay).
  EXPECT_EQ(micros(wallet(mesh, "worker-3"), "bond"), 0);
  EXPECT_EQ(micros(wallet(mesh, "worker-3"), "balance"), 90'000'000);
  int64_t paid = micros(wallet(mesh, "worker-1"), "balance") + micros(wallet(mesh, "worker-2"), "balance") -
                 2 * 90'000'000;
  EXPECT_EQ(paid, cost - fee);
  // Reputations: the honest rose above neutral, the liar fell below.
  auto sinfo = nlohmann::json::parse(mesh.run({"og-sinfo", "--json"}).out);
  std::map<std::string, double> reputation;
  for (const auto& p : sinfo["partitions"]) reputation[p["name"]] = p["reputation"];
  EXPECT_GT(reputation["worker-1"], 0.5);
  EXPECT_GT(reputation["worker-2"], 0.5);
  EXPECT_LT(reputation["worker-3"], 0.5);
  // og-sacct --payment tells the story in one line.
  auto sacct = mesh.run({"og-sacct", "-j", std::to_string(id), "--payment", "-n"});
  EXPECT_NE(sacct.out.find("agreed"), std::string::npos) << sacct.out;
  EXPECT_NE(sacct.out.find(job["cost"].get<std::string>()), std::string::npos) << sacct.out;
  EXPECT_NE(sacct.out.find("worker-1,worker-2"), std::string::npos) << sacct.out;
  EXPECT_NE(sacct.out.find(job["canonical_root"].get<std::string>().substr(0, 16)), std::string::npos) << sacct.out;
}

TEST(Payment, TwoReplicasThatDisagreeGetAThirdOpinion) {
  Mesh mesh;
  int64_t before = start_mesh(mesh, 3);
  std::string script = mesh.write_script(
      "pair.sh",
      "#!/bin/bash\n#SBATCH --replicas=2 --time=10 --max-price=36\n"
      "if [ \"$SLURM_JOB_PARTITION\" = worker-2 ]; then echo 41 >answer.txt; else echo 42 >answer.txt; fi\n");
  uint64_t id = submit_script(mesh, script);
  ASSERT_NE(id, 0u);
  auto job = settled_job(mesh, id);
  ASSERT_EQ(job["job_state"], "COMPLETED");
  EXPECT_EQ(job["nodes"], "worker-1,worker-2,worker-3");
  EXPECT_EQ(job["paid_to"], "worker-1,worker-3");
  EXPECT_EQ(micros(wallet(mesh, "worker-2"), "bond"), 0) << "the odd one out was proven wrong";
  int64_t cost = parse_money_micros(job["cost"].get<std::string>());
  EXPECT_EQ(micros(wallet(mesh, "alice"), "balance"), before - cost + 5'000'000);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 0) << "the extra replica's lock was settled too";
}

TEST(Payment, HonestButNondeterministicReplicasGetNoQuorumAndTheRequesterIsRefunded) {
  Mesh mesh;
  int64_t before = start_mesh(mesh, 3);
  std::string script = mesh.write_script(
      "random.sh", "#!/bin/bash\n#SBATCH --replicas=2 --time=5 --max-price=36\necho $RANDOM$$ >answer.txt\n");
  uint64_t id = submit_script(mesh, script);
  ASSERT_NE(id, 0u);
  auto job = settled_job(mesh, id);
  EXPECT_EQ(job["job_state"], "FAILED");
  EXPECT_EQ(job["state_reason"], "NoQuorum");
  EXPECT_EQ(job["nodes"], "worker-1,worker-2,worker-3") << "a third opinion first, then no provider was left";
  EXPECT_EQ(job["cost"], "0.000000");
  EXPECT_EQ(micros(wallet(mesh, "alice"), "balance"), before) << "refunded in full";
  EXPECT_EQ(micros(wallet(mesh, "worker-1"), "bond"), 10'000'000) << "nobody is proven wrong";
}

TEST(Payment, ShortFundsAreRefusedAtSubmissionWithTheAmount) {
  Mesh mesh;
  mesh.start_schedd();
  std::string script = mesh.write_script("big.sh", "#!/bin/bash\n#SBATCH -c 64 --time=1-0 --max-price=10\ntrue\n");
  auto r = mesh.run({"og-sbatch", script});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("15360.000000"), std::string::npos) << r.err;  // 64 × 24 h × 10.00
  EXPECT_NE(r.err.find("og-wallet deposit"), std::string::npos) << r.err;
  auto unlimited = mesh.write_script("forever.sh", "#!/bin/bash\n#SBATCH --time=UNLIMITED\ntrue\n");
  r = mesh.run({"og-sbatch", unlimited});
  EXPECT_NE(r.err.find("time limit"), std::string::npos) << r.err;
}

TEST(Payment, AKilledSchedulerSettlesEachJobExactlyOnce) {
  Mesh mesh;
  int64_t before = start_mesh(mesh, 1);
  std::string script = mesh.write_script("one.sh", "#!/bin/bash\n#SBATCH --time=10 --max-price=36\nsleep 1\n");
  uint64_t id = submit_script(mesh, script);
  ASSERT_NE(id, 0u);
  // Killed as soon as the job is seen finished: before or after its settlement.
  ASSERT_TRUE(await([&] { return mesh.job(id)["job_state"] == "COMPLETED"; }, std::chrono::seconds(30)));
  mesh.kill_schedd(9);
  mesh.start_schedd();
  auto job = settled_job(mesh, id);
  int64_t cost = parse_money_micros(job["cost"].get<std::string>());
  EXPECT_GT(cost, 0);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "balance"), before - cost);
  auto history = mesh.client("alice").call("GET", "/og/v1/wallet/history?limit=100")["entries"];
  int refunds = 0;
  for (const auto& e : history) refunds += e["key"] == "settle:job:" + std::to_string(id) + ":refund";
  EXPECT_EQ(refunds, 1);
}


// Escrow locks are written in groups after the job's commit: a kill -9 among a stream of
// submissions loses none of them — what og-schedd acknowledged has its escrow locked in
// full after the restart, once, and the wallet accounts for every cent.
TEST(Payment, AKilledSchedulerLosesNoEscrowLockOfAnAcknowledgedSubmission) {
  Mesh mesh;
  mesh.start_schedd();
  int64_t deposit = micros(wallet(mesh, "alice"), "balance");
  auto held = job_body("#!/bin/bash\ntrue\n", {{"hold", true}});
  HttpClient alice(mesh.url(), mesh.token("alice"));
  alice.call("POST", "/og/v1/jobs", held);
  int64_t each = deposit - micros(wallet(mesh, "alice"), "balance");
  ASSERT_GT(each, 0);
  auto acknowledged = mesh.kill_schedd_among_submissions(held, 300);
  mesh.start_schedd();
  std::set<uint64_t> present;
  auto listing = mesh.client("alice").call("GET", "/og/v1/jobs");
  for (const auto& j : listing["jobs"]) present.insert(j["job_id"].get<uint64_t>());
  for (uint64_t id : acknowledged) EXPECT_TRUE(present.count(id)) << "acknowledged job " << id << " lost";
  auto w = wallet(mesh, "alice");
  EXPECT_EQ(micros(w, "escrow"), static_cast<int64_t>(present.size()) * each) << "each job present locked once, in full";
  EXPECT_EQ(micros(w, "balance") + micros(w, "escrow"), deposit);
}

// A queued lock the ledger still refuses when it writes it — here an escrow the book
// already held near the ceiling for the job's id, which the queue cannot see — ends its
// job (Budget) at the next pass, and takes nothing from the wallet.
TEST(Payment, ALockTheLedgerRefusesWhenWrittenEndsItsJob) {
  Mesh mesh;
  std::filesystem::create_directories(mesh.dir() + "/schedd");
  EmbeddedLedger(mesh.dir() + "/schedd/ledger.db")
      .apply(Transfer{"old", kExternalAccount, escrow_account(1), kMaxAmountMicros - 10, "a book met before"});
  mesh.start_schedd();
  int64_t deposit = micros(wallet(mesh, "alice"), "balance");
  uint64_t id = mesh.client("alice").call("POST", "/og/v1/jobs", job_body("#!/bin/bash\ntrue\n", {{"hold", true}}))["job_id"];
  ASSERT_EQ(id, 1u);
  EXPECT_TRUE(mesh.await_state(id, "CANCELLED"));
  EXPECT_EQ(mesh.job(id)["state_reason"], "Budget");
  EXPECT_EQ(micros(wallet(mesh, "alice"), "balance"), deposit);
}

TEST(Payment, FuzzyVerificationAcceptsFloatsThatDifferInTheLastDigits) {
  Mesh mesh;
  start_mesh(mesh, 2);
  // Each provider's floats differ a little, as other CPUs' and libraries' would.
  std::string body =
      "n=${SLURM_JOB_PARTITION#worker-}\nprintf 'step,loss\\n1,0.2500000%s\\n2,0.125\\n' \"$n\" >loss.csv\n";
  auto submit = [&](const std::string& mode) {
    std::string script = mesh.write_script(
        "train-" + mode + ".sh", "#!/bin/bash\n#SBATCH --replicas=2 --time=5 --max-price=36 --verify=" + mode + "\n" + body);
    return settled_job(mesh, submit_script(mesh, script));
  };
  auto fuzzy = submit("fuzzy:1e-6");
  EXPECT_EQ(fuzzy["job_state"], "COMPLETED");
  EXPECT_EQ(fuzzy["paid_to"], "worker-1,worker-2") << "both agreed within the tolerance; nobody was slashed";
  EXPECT_EQ(micros(wallet(mesh, "worker-2"), "bond"), 10'000'000);
  auto exact = submit("exact");
  EXPECT_EQ(exact["job_state"], "FAILED");
  EXPECT_EQ(exact["state_reason"], "NoQuorum") << "byte for byte, they differ";
  auto bad = mesh.run({"og-sbatch", mesh.write_script("bad.sh", "#!/bin/bash\n#SBATCH --verify=fuzzy:2\ntrue\n")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("fuzzy:REL_TOL"), std::string::npos) << bad.err;
}


TEST(Payment, ImageVerificationAcceptsRendersThatDifferInAFewPixels) {
  Mesh mesh;
  start_mesh(mesh, 2);
  // Each provider's render differs by one level in one pixel, as another CPU's sampler
  // might; the PNG is written by the job (python3's zlib), decoded by og-schedd (libpng).
  std::string body = R"SH(n=${SLURM_JOB_PARTITION#worker-}
python3 - "$n" <<'PY'
import struct, sys, zlib
n = int(sys.argv[1])
w, h = 16, 8
rows = b"".join(b"\x00" + b"".join(bytes((x * 16, y * 32, 128 + (n if (x, y) == (3, 3) else 0))) for x in range(w)) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open("frame.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
)SH";
  auto submit = [&](const std::string& mode) {
    std::string script = mesh.write_script(std::string("render-") + mode.back() + ".sh",
                                           "#!/bin/bash\n#SBATCH --replicas=2 --time=5 --max-price=36 --verify=" + mode + "\n" + body);
    return settled_job(mesh, submit_script(mesh, script));
  };
  auto close = submit("image:maxdiff=2");
  EXPECT_EQ(close["job_state"], "COMPLETED");
  EXPECT_EQ(close["paid_to"], "worker-1,worker-2") << "both agreed within the tolerance";
  auto strict = submit("image:maxdiff=0");
  EXPECT_EQ(strict["job_state"], "FAILED");
  EXPECT_EQ(strict["state_reason"], "NoQuorum") << "no channel may differ at all";
  auto bad = mesh.run({"og-sbatch", mesh.write_script("bad-image.sh", "#!/bin/bash\n#SBATCH --verify=image:psnr=0\ntrue\n")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("image:psnr=DB"), std::string::npos) << bad.err;
}

TEST(Payment, AProviderTakesItsBondBackAfterTheDelay) {
  Mesh mesh;
  mesh.start_schedd({"--unbond-delay", "1"});
  std::string worker = mesh.start_worker(1);
  mesh.await_workers(1);
  int64_t before = micros(wallet(mesh, worker), "balance");
  auto r = mesh.run({"og-wallet", "unbond", "--json"}, worker);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto w = nlohmann::json::parse(r.out);
  EXPECT_EQ(micros(w, "bond"), 0);
  EXPECT_EQ(micros(w, "unbonding"), 10'000'000);
  auto sinfo = nlohmann::json::parse(mesh.run({"og-sinfo", "--json"}).out);
  EXPECT_EQ(sinfo["partitions"][0]["state"], "DRAIN") << "no bond, no new work";
  EXPECT_TRUE(await([&] { return micros(wallet(mesh, worker), "balance") == before + 10'000'000; }))
      << "released after the delay";
  EXPECT_EQ(micros(wallet(mesh, worker), "unbonding"), 0);
  auto again = mesh.run({"og-wallet", "unbond"}, worker);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("no bond"), std::string::npos) << again.err;
}


TEST(Payment, AVerifiedMilestonePaysTheProvidersBeforeTheJobEnds) {
  Mesh mesh;
  start_mesh(mesh, 2);
  std::string flag = mesh.dir() + "/go";
  // A checkpoint both replicas agree on, announced as milestone 1; then the job waits.
  std::string script = mesh.write_script(
      "steps.sh", "#!/bin/bash\n#SBATCH --replicas=2 --time=10 --max-price=36\nsleep 1\n"
                  "echo checkpoint-1 >\"$OG_MILESTONES/.1\" && mv \"$OG_MILESTONES/.1\" \"$OG_MILESTONES/1\"\n"
                  "while [ ! -e " + flag + " ]; do sleep 0.05; done\necho done >out.txt\n");
  uint64_t id = submit_script(mesh, script);
  ASSERT_NE(id, 0u);
  // Paid while still running: each provider's wallet (90.00 after its bond) grows.
  EXPECT_TRUE(await([&] {
    return micros(wallet(mesh, "worker-1"), "balance") > 90'000'000 &&
           micros(wallet(mesh, "worker-2"), "balance") > 90'000'000;
  })) << "milestone 1 was not paid";
  EXPECT_EQ(mesh.job(id)["job_state"], "RUNNING");
  int64_t at_milestone = micros(wallet(mesh, "worker-1"), "balance");
  std::ofstream(flag) << "go";
  auto job = settled_job(mesh, id);
  ASSERT_EQ(job["job_state"], "COMPLETED");
  // The final settlement pays the rest, never the milestone's share twice.
  int64_t cost = parse_money_micros(job["cost"].get<std::string>());
  int64_t fee = parse_money_micros(job["fee"].get<std::string>());
  int64_t paid = micros(wallet(mesh, "worker-1"), "balance") + micros(wallet(mesh, "worker-2"), "balance") -
                 2 * 90'000'000;
  EXPECT_EQ(paid, cost - fee);
  EXPECT_GE(micros(wallet(mesh, "worker-1"), "balance"), at_milestone);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 0);
}

TEST(Payment, APendingJobsMaxPriceMovesItsEscrowWithIt) {
  Mesh mesh;
  int64_t before = start_mesh(mesh, 1);
  // Held, asking at most 10 per CPU-hour where the only offer is 36: 1 CPU × 10 min × 10/h.
  std::string script = mesh.write_script("cap.sh", "#!/bin/bash\n#SBATCH --time=10 --max-price=10 -H\necho paid\n");
  uint64_t id = submit_script(mesh, script);
  ASSERT_NE(id, 0u);
  const std::string job = "JobId=" + std::to_string(id);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 1'666'666);

  // Dearer: the escrow is topped up from the wallet.
  auto raised = mesh.run({"og-scontrol", "update", job, "MaxPrice=36"});
  ASSERT_EQ(raised.exit_code, 0) << raised.err;
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 6'000'000);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "balance"), before - 6'000'000);
  auto shown = mesh.run({"og-scontrol", "show", "job", std::to_string(id)});
  EXPECT_NE(shown.out.find("MaxPrice=36.000000"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("max price 36.000000/CPU-h"), std::string::npos) << "journalled: " << shown.out;

  // More than the wallet holds: refused, nothing changes.
  auto too_dear = mesh.run({"og-scontrol", "update", job, "MaxPrice=100000"});
  EXPECT_EQ(too_dear.exit_code, 1);
  EXPECT_NE(too_dear.err.find("og-wallet deposit"), std::string::npos) << too_dear.err;
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 6'000'000);

  // Cheaper: the rest comes back; then dearer again, and it runs where 36 is asked.
  ASSERT_EQ(mesh.run({"og-scontrol", "update", job, "MaxPrice=12"}).exit_code, 0);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 2'000'000);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "balance"), before - 2'000'000);
  ASSERT_EQ(mesh.run({"og-scontrol", "update", job, "MaxPrice=36"}).exit_code, 0);
  ASSERT_EQ(mesh.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  auto settled = settled_job(mesh, id);
  ASSERT_EQ(settled["job_state"], "COMPLETED");
  int64_t cost = parse_money_micros(settled["cost"].get<std::string>());
  EXPECT_GT(cost, 0);
  EXPECT_LE(cost, 6'000'000);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "escrow"), 0);
  EXPECT_EQ(micros(wallet(mesh, "alice"), "balance"), before - cost) << "the escrow's moves are not costs";
}

}  // namespace
}  // namespace og::test
