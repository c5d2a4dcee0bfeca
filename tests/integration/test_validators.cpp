// --verify=score through the real binaries: replicas that write different text (a stand-in
// for sampled generation), validators that score it with the job's own script in the
// jail, and the providers that cheat or fall silent — a lazy replica, a lazy validator, a
// validator that never answers — played through the API by fake providers.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/money.hpp"
#include "tests/integration/fake_provider.hpp"

namespace og::test {
namespace {

using nlohmann::json;

// Each run picks its own 12 words: replicas never agree byte for byte.
constexpr const char* kJob = R"(#!/bin/bash
#OG --replicas=2
#OG --verify=score:score/score.py:0.6
#OG --input=score
#SBATCH --time=5
shuf -r -n 12 score/vocab.txt | tr '\n' ' ' > answer.txt
)";

// The job's scoring script: the share of each replica's words found in the vocabulary.
constexpr const char* kScorer = R"(#!/usr/bin/python3
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
vocab = set(open(os.path.join(here, "vocab.txt")).read().split())
scores = {}
for d in sys.argv[1:]:
    try:
        words = open(os.path.join(d, "answer.txt")).read().split()
    except OSError:
        words = []
    scores[d] = sum(w in vocab for w in words) / len(words) if words else 0.0
print(json.dumps(scores))
)";

class Validators : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: validators score in the jail, which needs root";
    std::filesystem::create_directories(mesh_.dir() + "/score");
    std::ofstream(mesh_.dir() + "/score/score.py") << kScorer;
    ::chmod((mesh_.dir() + "/score/score.py").c_str(), 0755);
    // Scoring scripts of requesters who judge nothing: one that fails, one that fails every replica.
    std::ofstream(mesh_.dir() + "/score/broken.sh") << "#!/bin/sh\necho 'cannot score' >&2\nexit 1\n";
    std::ofstream(mesh_.dir() + "/score/zero.sh") << "#!/bin/sh\nprintf '{'; sep=''\n"
                                                     "for d; do printf '%s\"%s\": 0' \"$sep\" \"$d\"; sep=,; done\necho '}'\n";
    for (const char* s : {"broken.sh", "zero.sh"}) ::chmod((mesh_.dir() + "/score/" + s).c_str(), 0755);
    std::ofstream(mesh_.dir() + "/score/vocab.txt") << "alpha\nbravo\ncharlie\ndelta\necho\nfoxtrot\ngolf\nhotel\nindia\njuliet\nkilo\nlima\n";
    mesh_.write_script("job.sh", kJob);
  }
  void start(const std::vector<std::string>& schedd_args) {
    mesh_.start_schedd(schedd_args);
  }
  // A real provider that runs jobs, under its own operator.
  std::string replica_worker(const std::string& op) { return mesh_.start_worker(1, {"--operator", op, "--price", "0.05"}); }
  // A real validator: scores in the jail.
  std::string validator(const std::string& op) {
    return mesh_.start_worker(1, {"--validator", "--operator", op, "--isolation", "jail"});
  }
  uint64_t submit(const std::string& verify = "") {
    return verify.empty() ? mesh_.sbatch({"job.sh"}, mesh_.dir()) : mesh_.sbatch({"--verify=" + verify, "job.sh"}, mesh_.dir());
  }
  int64_t micros(const std::string& user, const std::string& field) {
    return parse_money_micros(mesh_.client(user).call("GET", "/og/v1/wallet")[field].get<std::string>());
  }
  json job(uint64_t id) { return mesh_.job(id); }
  // The job's validation tasks once `count` exist.
  json await_validations(uint64_t id, size_t count) {
    json v;
    await([&] { return (v = job(id).value("validations", json::array())).size() >= count; });
    return v;
  }
  json settled(uint64_t id) {
    json j;
    EXPECT_TRUE(await([&] { return (j = job(id)).value("settled", false); })) << j.dump();
    return j;
  }
  std::string history(uint64_t id) {
    std::string text;
    const json answer = mesh_.client().call("GET", "/og/v1/jobs/" + std::to_string(id) + "/events");
    for (const auto& e : answer["events"])
      text += e["text"].get<std::string>() + "\n";
    return text;
  }
  Mesh mesh_;
};

// A fake validator: takes validation tasks and answers what it likes.
struct FakeValidator : FakeProvider {
  // Registers `partition` as a validator (jailed, as og-schedd asks) under operator `op`.
  FakeValidator(Mesh& mesh, const std::string& name, const std::string& partition, const std::string& op)
      : FakeProvider(mesh, name), partition(partition) {
    json body = {{"cpus", 4}, {"memory_mb", 4096}, {"validator", true}, {"isolation", "jail"}, {"operator", op}};
    offered = client.request("PUT", "/og/v1/partitions/" + partition, body.dump()).status;
  }
  // The first validation task its partition is given (null on timeout).
  json first_task() {
    json tasks;
    await([&] { return !(tasks = poll(partition, 1000)).empty(); }, std::chrono::seconds(30));
    return tasks.empty() ? json() : tasks[0];
  }
  // Scores every replica of the lease `score`.
  HttpResult answer(const json& lease, double score) {
    json scores = json::object();
    for (const auto& r : lease["validation"]["replicas"])
      scores[std::to_string(r["lease"].get<uint64_t>())] = {{"score", score}, {"root", r["root"]}};
    json report = {{"outcome", "COMPLETED"}, {"exit_code", 0}, {"manifest", to_json(Manifest{{}, merkle_root({})})},
                   {"scores", scores}};
    return client.request("POST", "/og/v1/leases/" + std::to_string(lease["lease_id"].get<uint64_t>()) + "/complete",
                          report.dump());
  }
  std::string partition;
  long offered = 0;  // the registration's HTTP status
};

TEST_F(Validators, SampledTextIsAcceptedByScoreAndTheValidatorIsPaidItsShare) {
  start({"--second-opinion", "0"});
  replica_worker("op-a");
  replica_worker("op-b");
  std::string v = validator("op-v");
  mesh_.await_workers(3);
  auto parts = mesh_.client().call("GET", "/og/v1/partitions")["partitions"];
  for (const auto& p : parts) EXPECT_EQ(p["validator"].get<bool>(), p["name"] == v) << p.dump();
  int64_t before = micros(v, "balance");
  uint64_t id = submit();
  json done = mesh_.wait_job(id);
  ASSERT_EQ(done["job_state"], "COMPLETED") << history(id);
  json j = settled(id);
  ASSERT_EQ(j["replica_leases"].size(), 2u);
  EXPECT_NE(j["replica_leases"][0]["root"], j["replica_leases"][1]["root"]) << "sampled: never the same bytes";
  ASSERT_EQ(j["validations"].size(), 1u) << j.dump();
  const json& task = j["validations"][0];
  EXPECT_EQ(task["partition"], v);
  EXPECT_EQ(task["state"], "DONE");
  for (const auto& r : j["replica_leases"])
    EXPECT_DOUBLE_EQ(task["scores"][std::to_string(r["lease_id"].get<uint64_t>())].get<double>(), 1.0) << task.dump();
  // The result is one replica's outputs, as it reported them.
  EXPECT_TRUE(j["canonical_root"] == j["replica_leases"][0]["root"] || j["canonical_root"] == j["replica_leases"][1]["root"]);
  EXPECT_NE(history(id).find("verified by its validators"), std::string::npos) << history(id);
  // Reputation follows the scores: both replicas scored 1, the validator's scores stood.
  const json listed = mesh_.client().call("GET", "/og/v1/partitions");
  for (const auto& p : listed["partitions"]) EXPECT_GT(p["reputation"].get<double>(), 0.5) << p.dump();
  auto sinfo = mesh_.run({"og-sinfo"});
  EXPECT_NE(sinfo.out.find("REPUTATION  ROLE"), std::string::npos) << sinfo.out;
  EXPECT_NE(sinfo.out.find("validator  " + v), std::string::npos) << sinfo.out;
  // Paid its share (15 % of what the replicas' time cost), less the protocol fee.
  int64_t pay = parse_money_micros(j["validator_pay"].get<std::string>());
  EXPECT_GT(pay, 0);
  EXPECT_EQ(micros(v, "balance") - before, pay - pay / 100) << "the validator is paid its share";
  auto sacct = mesh_.run({"og-sacct", "-j", std::to_string(id), "--payment"});
  EXPECT_NE(sacct.out.find("scored"), std::string::npos) << sacct.out;
  EXPECT_NE(sacct.out.find(j["validator_pay"].get<std::string>()), std::string::npos) << sacct.out;
  EXPECT_NE(sacct.out.find(v), std::string::npos) << sacct.out;
  auto show = mesh_.run({"og-scontrol", "show", "job", std::to_string(id)});
  EXPECT_NE(show.out.find("   Verify=score:score/score.py:0.6\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("   Validation=" + task["lease_id"].dump() + " Partition=" + v + " State=DONE Scores=" +
                          j["replica_leases"][0]["lease_id"].dump() + ":1.000,"),
            std::string::npos)
      << show.out;
}

TEST_F(Validators, ALazyReplicaIsScoredLowConfirmedBySecondValidatorAndNotPaid) {
  start({"--second-opinion", "0"});
  replica_worker("op-a");
  validator("op-v1");
  validator("op-v2");
  mesh_.await_workers(3);
  FakeProvider lazy(mesh_, "lazy");
  ASSERT_EQ(lazy.offer("lazy-p", 50'000, "op-lazy").status, 200);  // 0.05 per CPU-hour, as the others
  int64_t bond = micros("lazy", "bond");
  uint64_t id = submit();
  json leases;
  ASSERT_TRUE(await([&] { return !(leases = lazy.poll("lazy-p", 1000)).empty(); }));
  ASSERT_EQ(lazy.report(leases[0]["lease_id"], "zzz qqq xxx\n").status, 200);
  uint64_t lazy_lease = leases[0]["lease_id"];
  ASSERT_EQ(mesh_.wait_job(id)["job_state"], "COMPLETED") << history(id);
  json j = settled(id);
  EXPECT_EQ(j["validations"].size(), 2u) << "a low score is confirmed by a second validator: " << j.dump();
  for (const auto& r : j["replica_leases"])
    if (r["lease_id"] == lazy_lease) {
      EXPECT_NE(j["canonical_root"], r["root"]) << "the lazy outputs are not the result";
    }
  EXPECT_EQ(j["paid_to"].get<std::string>().find("lazy"), std::string::npos) << j["paid_to"];
  EXPECT_EQ(micros("lazy", "balance"), 100'000'000 - bond) << "paid nothing";
  // Slashed what it would have been paid (a minute at 0.05/h), all of it to the treasury.
  EXPECT_EQ(micros("lazy", "bond"), bond - 833) << "slashed: below the threshold on two validators' word";
  const json listed = mesh_.client().call("GET", "/og/v1/partitions");
  for (const auto& p : listed["partitions"])
    if (p["name"] == "lazy-p") {
      EXPECT_LT(p["reputation"].get<double>(), 0.5);
    }
}

TEST_F(Validators, ALazyValidatorIsCaughtBySecondOpinionAndSlashed) {
  start({"--second-opinion", "1"});  // every job is checked by two validators
  replica_worker("op-a");
  replica_worker("op-b");
  validator("op-v1");
  mesh_.await_workers(3);
  FakeValidator lazy(mesh_, "lazy-validator", "lazy-v", "op-lazy");
  ASSERT_EQ(lazy.offered, 200);
  int64_t bond = micros("lazy-validator", "bond");
  uint64_t id = submit();
  json task = lazy.first_task();
  ASSERT_FALSE(task.is_null()) << "no validation task came";
  ASSERT_EQ(lazy.answer(task, 0.05).status, 200);  // scores without looking
  // The honest validator disagrees; a third decides, once one comes.
  ASSERT_TRUE(await([&] { return job(id)["state_reason"] == "Validators"; })) << job(id).dump();
  std::string third = validator("op-v3");
  ASSERT_EQ(mesh_.wait_job(id)["job_state"], "COMPLETED") << history(id);
  json j = settled(id);
  EXPECT_EQ(j["validations"].size(), 3u);
  EXPECT_LT(micros("lazy-validator", "bond"), bond) << "slashed: out of line with the median";
  EXPECT_EQ(micros("lazy-validator", "balance"), 100'000'000 - bond) << "and not paid";
  EXPECT_NE(j["paid_to"].get<std::string>().find(third), std::string::npos) << j["paid_to"];
  EXPECT_NE(history(id).find("two validators disagree"), std::string::npos) << history(id);
}

TEST_F(Validators, NoValidatorSharesAnOperatorWithAReplica) {
  start({"--second-opinion", "0"});
  replica_worker("op-a");
  replica_worker("op-b");
  std::string same = validator("op-a");  // runs replicas' operator: never scores their work
  mesh_.await_workers(3);
  uint64_t id = submit();
  ASSERT_TRUE(await([&] { return job(id)["state_reason"] == "Validators"; })) << job(id).dump();
  EXPECT_TRUE(job(id)["validations"].empty());
  std::string other = validator("op-c");
  ASSERT_EQ(mesh_.wait_job(id)["job_state"], "COMPLETED") << history(id);
  json j = job(id);
  ASSERT_EQ(j["validations"].size(), 1u);
  EXPECT_EQ(j["validations"][0]["partition"], other);
}

TEST_F(Validators, AValidatorThatNeverAnswersLosesTheTaskToAnother) {
  start({"--second-opinion", "0", "--heartbeat-timeout-ms", "1500"});
  replica_worker("op-a");
  replica_worker("op-b");
  mesh_.await_workers(2);
  FakeValidator silent(mesh_, "silent", "silent-v", "op-silent");
  ASSERT_EQ(silent.offered, 200);
  uint64_t id = submit();
  json task = silent.first_task();
  ASSERT_FALSE(task.is_null()) << "no validation task came";
  std::string other = validator("op-c");  // then it never polls nor answers again
  ASSERT_EQ(mesh_.wait_job(id)["job_state"], "COMPLETED") << history(id);
  json j = settled(id);
  ASSERT_EQ(j["validations"].size(), 2u) << j.dump();
  EXPECT_EQ(j["validations"][0]["partition"], "silent-v");
  EXPECT_EQ(j["validations"][0]["state"], "LOST");
  EXPECT_EQ(j["validations"][1]["partition"], other);
  EXPECT_EQ(silent.answer(task, 1.0).status, 409) << "a late answer counts for nothing";
}

TEST_F(Validators, KillingOgScheddDuringValidationLosesNothingAndPaysNothingTwice) {
  start({"--second-opinion", "0"});
  std::string a = replica_worker("op-a"), b = replica_worker("op-b");
  mesh_.await_workers(2);
  int64_t alice = micros("alice", "balance");
  FakeValidator v(mesh_, "validator", "val", "op-v");
  ASSERT_EQ(v.offered, 200);
  uint64_t id = submit();
  json task = v.first_task();
  ASSERT_FALSE(task.is_null()) << "no validation task came";
  mesh_.kill_schedd(9);  // the task is out, unanswered
  mesh_.start_schedd();
  ASSERT_EQ(v.answer(task, 0.9).status, 200);
  ASSERT_EQ(mesh_.wait_job(id)["job_state"], "COMPLETED") << history(id);
  json j = settled(id);
  EXPECT_EQ(j["replica_leases"].size(), 2u) << "nothing ran again";
  EXPECT_EQ(j["validations"].size(), 1u);
  std::map<std::string, int64_t> balances;
  for (const std::string& who : {a, b, std::string("validator"), std::string("alice")}) balances[who] = micros(who, "balance");
  EXPECT_LT(balances["alice"], alice);
  EXPECT_GT(balances["validator"], 100'000'000 - micros("validator", "bond"));
  // Once more, after it settled: nothing is paid again.
  mesh_.kill_schedd(9);
  mesh_.start_schedd();
  EXPECT_TRUE(settled(id).value("settled", false));
  for (const auto& [who, balance] : balances) EXPECT_EQ(micros(who, "balance"), balance) << who;
}

TEST_F(Validators, AScoringScriptThatFailsEndsTheJobWithoutAResultAndItsReplicasPaid) {
  start({"--second-opinion", "0", "--validation-wait", "1"});
  std::string a = replica_worker("op-a"), b = replica_worker("op-b"), v = validator("op-v");
  mesh_.await_workers(3);
  int64_t validator_before = micros(v, "balance");
  uint64_t id = submit("score:score/broken.sh");
  json done = mesh_.wait_job(id);
  EXPECT_EQ(done["job_state"], "FAILED");
  EXPECT_EQ(done["state_reason"], "ValidationFailed") << history(id);
  json j = settled(id);
  // The replicas did their part: the requester's script failing is not theirs to pay for.
  std::string paid = j["paid_to"];
  EXPECT_NE(paid.find(a), std::string::npos) << paid;
  EXPECT_NE(paid.find(b), std::string::npos) << paid;
  EXPECT_EQ(micros(v, "balance"), validator_before) << "no scores, no pay";
  EXPECT_NE(history(id).find("not scored: no validator scored it in time; its completed replicas are paid"), std::string::npos)
      << history(id);
}

TEST_F(Validators, AScriptThatFailsEveryReplicaBuysItsRequesterNothing) {
  start({"--second-opinion", "0"});
  std::string a = replica_worker("op-a"), b = replica_worker("op-b");
  validator("op-v1");
  validator("op-v2");
  mesh_.await_workers(4);
  int64_t bond_a = micros(a, "bond"), alice = micros("alice", "balance");
  uint64_t id = submit("score:score/zero.sh");
  json done = mesh_.wait_job(id);
  EXPECT_EQ(done["job_state"], "FAILED");
  EXPECT_EQ(done["state_reason"], "BelowThreshold") << history(id);
  json j = settled(id);
  EXPECT_EQ(j["validations"].size(), 2u) << "a low score is confirmed by a second validator";
  EXPECT_EQ(micros(a, "bond"), bond_a) << "no replica was accepted: no proof that one was lazy";
  // The requester paid its validators and nothing else, and gets no outputs for it.
  EXPECT_EQ(alice - micros("alice", "balance"), parse_money_micros(j["cost"].get<std::string>()));
  EXPECT_EQ(j["cost"], j["validator_pay"]);
  auto lease = std::to_string(j["replica_leases"][0]["lease_id"].get<uint64_t>());
  auto fetched = mesh_.client().request("GET", "/og/v1/jobs/" + std::to_string(id) + "/replicas/" + lease + "/result");
  EXPECT_EQ(fetched.status, 409) << fetched.body;
  EXPECT_NE(fetched.body.find("not_accepted"), std::string::npos) << fetched.body;
}

}  // namespace
}  // namespace og::test
