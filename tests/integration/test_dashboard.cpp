// What og-schedd gives the web dashboard: its files, open and locked down, and the parse
// step its submit form uses (og-sbatch's directive parser plus the bytes to sign).
#include <gtest/gtest.h>

#include "core/hex.hpp"
#include "core/job_signature.hpp"
#include "core/signature.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override { mesh.start_schedd({}); }
  Mesh mesh;
};

TEST_F(Dashboard, ItsFilesAreServedWithoutACredentialAndOnlyItsOwnScriptsMayRun) {
  HttpClient anonymous(mesh.url(), "");
  auto index = anonymous.request("GET", "/");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<script type=\"module\" src=\"/app.js\">"), std::string::npos);
  EXPECT_NE(index.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_NE(index.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(index.header("x-content-type-options"), "nosniff");
  auto app = anonymous.request("GET", "/app.js");
  ASSERT_EQ(app.status, 200);
  EXPECT_EQ(app.header("content-type"), "text/javascript; charset=utf-8");
  // Anything else is the API, which still wants a credential.
  EXPECT_EQ(anonymous.request("GET", "/secret.txt").status, 401);
  EXPECT_EQ(anonymous.request("POST", "/").status, 401);
}

TEST_F(Dashboard, ParsingAScriptGivesTheJobAndTheBytesItsSignatureMustCover) {
  auto alice = mesh.client("alice");
  KeyPair key = generate_ed25519();
  alice.call("PUT", "/og/v1/users/me/key", {{"public_key", key.public_hex}});
  auto parsed = alice.call("POST", "/og/v1/jobs/parse",
                           {{"script", "#!/bin/bash\n#SBATCH --job-name=web -n 2 --time=3\n#OG --replicas=2\necho $1\n"},
                            {"args", {"hello"}},
                            {"signer", key.public_hex}});
  const auto& job = parsed["job"];
  EXPECT_EQ(job["name"], "web");
  EXPECT_EQ(job["ntasks"], 2);
  EXPECT_EQ(job["time_limit_s"], 180);
  EXPECT_EQ(job["replicas"], 2);
  EXPECT_EQ(job["script_args"], nlohmann::json::array({"hello"}));
  EXPECT_EQ(job["script_name"], "dashboard.sh");
  auto payload = from_hex(parsed["signing_payload_hex"].get<std::string>());
  ASSERT_TRUE(payload);
  EXPECT_EQ(*payload, job_signing_payload("alice", job_spec_from_json(job)));

  // Signed as the page signs it (here with the same key in C++), og-schedd takes it.
  nlohmann::json signed_job = job;
  signed_job["signature"] = ed25519_sign(key.private_hex, *payload);
  auto r = alice.request("POST", "/og/v1/jobs", nlohmann::json{{"job", signed_job}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  // Altered after signing: refused.
  signed_job["script_args"] = {"goodbye"};
  r = alice.request("POST", "/og/v1/jobs", nlohmann::json{{"job", signed_job}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("signature does not match"), std::string::npos) << r.body;
}

TEST_F(Dashboard, ScriptsItCannotSubmitAreRefusedWithTheLineOrTheWayOut) {
  auto alice = mesh.client("alice");
  auto bad = alice.request("POST", "/og/v1/jobs/parse",
                           nlohmann::json{{"script", "#!/bin/bash\n#SBATCH --mem=lots\ntrue\n"}}.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("dashboard.sh:2: --mem"), std::string::npos) << bad.body;
  auto files = alice.request("POST", "/og/v1/jobs/parse",
                             nlohmann::json{{"script", "#!/bin/bash\n#OG --input=data.csv\ntrue\n"}}.dump());
  EXPECT_EQ(files.status, 400);
  EXPECT_NE(files.body.find("submit it with og-sbatch"), std::string::npos) << files.body;
  auto signer = alice.request("POST", "/og/v1/jobs/parse",
                              nlohmann::json{{"script", "true\n"}, {"signer", "zz"}}.dump());
  EXPECT_EQ(signer.status, 400);
  EXPECT_EQ(alice.request("GET", "/og/v1/jobs/parse").status, 405);
}

TEST_F(Dashboard, TheQueuePageAsksOnlyForTheNewestJobsAndLearnsHowManyMatched) {
  auto alice = mesh.client("alice");
  nlohmann::json held = {{"job", {{"name", "h"}, {"script", "#!/bin/bash\ntrue\n"}, {"script_name", "h.sh"}, {"hold", true}}}};
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(alice.call("POST", "/og/v1/jobs", held)["job_id"]);
  auto page = alice.call("GET", "/og/v1/jobs?newest=2&state=PENDING");
  ASSERT_EQ(page["jobs"].size(), 2u);
  EXPECT_EQ(page["jobs"][0]["job_id"], ids[1]);
  EXPECT_EQ(page["jobs"][1]["job_id"], ids[2]);
  EXPECT_EQ(page["matched"], 3);
  EXPECT_FALSE(alice.call("GET", "/og/v1/jobs").contains("matched")) << "plain listings keep slurmrestd's shape";
  EXPECT_EQ(alice.request("GET", "/og/v1/jobs?newest=x").status, 400);
}

}  // namespace
}  // namespace og::test
