// The REST layer called directly (Api::handle, no sockets): authentication, routing,
// request decoding and the error mapping {"error":{"code":…,"message":…}}.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/log.hpp"
#include "core/sha256.hpp"
#include "scheduler/api.hpp"
#include "scheduler/controller.hpp"
#include "verify/manifest.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_quiet(true);
    ControllerOptions options;
    options.database_path = (dir_ / "state.db").string();
    options.require_signed = false;  // these tests post hand-made jobs; signing: test_controller
    controller_ = std::make_unique<Controller>(options);
    controller_->start();
    artifacts_ = std::make_unique<ArtifactStore>((dir_ / "artifacts").string());
    bundles_ = std::make_unique<ArtifactStore>((dir_ / "bundles").string());
    api_ = std::make_unique<Api>(controller_->services(), *artifacts_, *bundles_);
    admin_ = controller_->credentials().add_user("root", "admin");
    alice_ = controller_->credentials().add_user("alice", "user");
    worker_ = controller_->credentials().add_user("w1", "worker");
  }
  void TearDown() override {
    api_.reset();
    controller_.reset();
    artifacts_.reset();
  }

  HttpResponse call(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body = "",
                    std::map<std::string, std::string> query = {}) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.query = std::move(query);
    if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
    req.body = body;
    return api_->handle(req);
  }
  static json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }
  static std::string error_code(const HttpResponse& r) {
    json j = body_of(r);
    if (!j.is_object() || !j.contains("error")) return "<no error object: " + r.body + ">";
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
    return j["error"]["code"].get<std::string>();
  }
  static std::string job_body(const json& extra = json::object()) {
    json job = {{"script", "#!/bin/sh\necho hi\n"}, {"name", "hello"}};
    job.update(extra);
    return json{{"job", job}}.dump();
  }

  test::TempDir tmp_{"og-api-test"};  // removed after TearDown
  const fs::path dir_ = tmp_.path();
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<ArtifactStore> artifacts_, bundles_;
  std::unique_ptr<Api> api_;
  std::string admin_, alice_, worker_;
};

TEST_F(ApiTest, MissingOrUnknownTokenIsUnauthenticated) {
  for (const auto& token : {std::string(), std::string("not-a-token"), alice_ + "0"}) {
    auto r = call("GET", "/og/v1/ping", token);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(error_code(r), "unauthenticated");
    bool has_challenge = false;
    for (const auto& [k, v] : r.headers) has_challenge |= (k == "WWW-Authenticate" && v == "Bearer");
    EXPECT_TRUE(has_challenge);
  }
  // The scheme must be Bearer.
  HttpRequest basic;
  basic.method = "GET";
  basic.path = "/og/v1/ping";
  basic.headers["authorization"] = "Basic " + alice_;
  EXPECT_EQ(api_->handle(basic).status, 401);
}

TEST_F(ApiTest, PingReportsTheCaller) {
  auto r = call("GET", "/og/v1/ping", alice_);
  ASSERT_EQ(r.status, 200);
  json j = body_of(r);
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["role"], "user");
  EXPECT_EQ(r.content_type, "application/json");
}

TEST_F(ApiTest, MalformedJsonBody) {
  auto r = call("POST", "/og/v1/jobs", alice_, "{\"job\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "malformed_json");
  auto arr = call("POST", "/og/v1/jobs", alice_, "[1,2]");
  EXPECT_EQ(arr.status, 400);
  EXPECT_EQ(error_code(arr), "malformed_json");
}

TEST_F(ApiTest, UnknownFieldInSubmitBody) {
  json body = json::parse(job_body());
  body["priority"] = 5;
  auto r = call("POST", "/og/v1/jobs", alice_, body.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "unknown_field");
}

TEST_F(ApiTest, UnknownFieldInsideJobIsInvalidSpec) {
  auto r = call("POST", "/og/v1/jobs", alice_, job_body({{"cpus", 4}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "invalid_spec");
  auto missing = call("POST", "/og/v1/jobs", alice_, "{}");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(error_code(missing), "missing_field");
  auto bad_type = call("POST", "/og/v1/jobs", alice_, job_body({{"ntasks", "four"}}));
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_EQ(error_code(bad_type), "invalid_spec");
  auto bad_array = call("POST", "/og/v1/jobs", alice_, job_body({{"array", "5-1"}}));
  EXPECT_EQ(bad_array.status, 400);
  EXPECT_EQ(error_code(bad_array), "invalid_spec");
}

TEST_F(ApiTest, SubmitAndGetJob) {
  auto r = call("POST", "/og/v1/jobs", alice_, job_body());
  ASSERT_EQ(r.status, 201) << r.body;
  json j = body_of(r);
  ASSERT_TRUE(j["job_id"].is_number_unsigned());
  uint64_t id = j["job_id"];
  EXPECT_GT(id, 0u);
  EXPECT_EQ(j["job_ids"], json::array({id}));

  auto got = call("GET", "/og/v1/jobs/" + std::to_string(id), alice_);
  ASSERT_EQ(got.status, 200);
  json jobs = body_of(got)["jobs"];
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["job_id"], id);
  EXPECT_EQ(jobs[0]["job_state"], "PENDING");
  EXPECT_EQ(jobs[0]["user_name"], "alice");
  EXPECT_EQ(jobs[0]["name"], "hello");
  EXPECT_TRUE(jobs[0]["replica_leases"].is_array());

  auto listed = call("GET", "/og/v1/jobs", alice_, "", {{"user", "alice"}});
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(body_of(listed)["jobs"].size(), 1u);
  auto none = call("GET", "/og/v1/jobs", alice_, "", {{"user", "bob"}});
  EXPECT_EQ(body_of(none)["jobs"].size(), 0u);
  auto bad_state = call("GET", "/og/v1/jobs", alice_, "", {{"state", "SLEEPING"}});
  EXPECT_EQ(bad_state.status, 400);
  EXPECT_EQ(error_code(bad_state), "invalid_state");
}

TEST_F(ApiTest, ArraySubmitReturnsEveryTask) {
  auto r = call("POST", "/og/v1/jobs", alice_, job_body({{"array", "1-3"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  json j = body_of(r);
  EXPECT_EQ(j["job_ids"].size(), 3u);
  EXPECT_EQ(j["job_id"], j["job_ids"][0]);
}

TEST_F(ApiTest, AJobIdNamesAJobATaskOrSomeTasksAsSlurmReadsThem) {
  auto r = call("POST", "/og/v1/jobs", alice_, job_body({{"array", "0-5"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  auto tasks = body_of(r)["job_ids"];
  uint64_t array = tasks[0];
  call("POST", "/og/v1/jobs", alice_, job_body());  // another job, never named
  auto listed = [&](const std::string& ids) {
    std::vector<std::string> got;
    auto answer = call("GET", "/og/v1/jobs", alice_, "", {{"job_id", ids}});
    EXPECT_EQ(answer.status, 200) << ids << ": " << answer.body;
    json page = body_of(answer);  // kept: a loop over a temporary's member would dangle
    for (const auto& job : page["jobs"])
      got.push_back(std::to_string(job["array_job_id"].get<uint64_t>()) + "_" +
                    std::to_string(job["array_task_id"].get<int64_t>()));
    return got;
  };
  const std::string a = std::to_string(array);
  EXPECT_EQ(listed(a + "_2"), (std::vector<std::string>{a + "_2"})) << "that task, not the array's first";
  EXPECT_EQ(listed(a + "_[3-5]"), (std::vector<std::string>{a + "_3", a + "_4", a + "_5"}));
  EXPECT_EQ(listed(a + "_[0,4]," + a + "_1"), (std::vector<std::string>{a + "_0", a + "_1", a + "_4"}));
  EXPECT_EQ(listed(a).size(), 6u) << "the array's id names every task";
  EXPECT_EQ(listed(std::to_string(tasks[3].get<uint64_t>())), (std::vector<std::string>{a + "_3"}));
  EXPECT_TRUE(listed(a + "_9").empty());
  auto bad = call("GET", "/og/v1/jobs", alice_, "", {{"job_id", a + "_x"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_code(bad), "invalid_job_id");
}

TEST_F(ApiTest, TestOnlyDoesNotSubmit) {
  json body = json::parse(job_body());
  body["test_only"] = true;
  auto r = call("POST", "/og/v1/jobs", alice_, body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = body_of(r);
  EXPECT_EQ(j["would_start"], false);
  EXPECT_EQ(j["job_id"], 0);
  EXPECT_FALSE(j["reason"].get<std::string>().empty());
  EXPECT_EQ(body_of(call("GET", "/og/v1/jobs", alice_))["jobs"].size(), 0u);
  body["test_only"] = "yes";
  auto bad = call("POST", "/og/v1/jobs", alice_, body.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_code(bad), "invalid_field");
}

TEST_F(ApiTest, UnknownJobIsNotFound) {
  auto r = call("GET", "/og/v1/jobs/999", alice_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "job_not_found");
  auto del = call("DELETE", "/og/v1/jobs/999", alice_);
  EXPECT_EQ(del.status, 404);
  EXPECT_EQ(error_code(del), "job_not_found");
}

TEST_F(ApiTest, NonNumericIdIsInvalid) {
  for (const auto& id : {"abc", "0", "12x", "-1"}) {
    auto r = call("GET", std::string("/og/v1/jobs/") + id, alice_);
    EXPECT_EQ(r.status, 400) << id;
    EXPECT_EQ(error_code(r), "invalid_id") << id;
  }
}

TEST_F(ApiTest, UnknownPathIsNotFound) {
  for (const auto& path : {"/foo", "/og/v2/jobs", "/og/v1/nothing", "/og/v1"}) {
    auto r = call("GET", path, alice_);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(error_code(r), "not_found") << path;
  }
  // "/" is the dashboard's page.
  EXPECT_EQ(call("GET", "/", alice_).content_type, "text/html; charset=utf-8");
}

TEST_F(ApiTest, WrongMethodIsNotAllowed) {
  auto r = call("PUT", "/og/v1/jobs", alice_, "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(error_code(r), "method_not_allowed");
  EXPECT_EQ(call("PATCH", "/og/v1/jobs/1", alice_).status, 405);
  EXPECT_EQ(call("DELETE", "/og/v1/artifacts/" + sha256_hex("x"), worker_).status, 405);
  EXPECT_EQ(call("GET", "/og/v1/leases/1/complete", worker_).status, 405);
  EXPECT_EQ(call("DELETE", "/og/v1/partitions/p1", worker_).status, 405);
}

TEST_F(ApiTest, UserCannotRegisterPartition) {
  auto r = call("PUT", "/og/v1/partitions/p1", alice_, R"({"cpus":4})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_code(r), "forbidden");
  EXPECT_EQ(body_of(call("GET", "/og/v1/partitions", alice_))["partitions"].size(), 0u);
}

TEST_F(ApiTest, WorkerRegistersPartition) {
  auto r = call("PUT", "/og/v1/partitions/p1", worker_,
                R"({"cpus":4,"memory_mb":2048,"gpus":1,"gpu_type":"h100","price_micros":250000})");
  ASSERT_EQ(r.status, 200) << r.body;
  json p = body_of(r)["partitions"][0];
  EXPECT_EQ(p["name"], "p1");
  EXPECT_EQ(p["owner"], "w1");
  EXPECT_EQ(p["cpus"], 4);
  EXPECT_EQ(p["state"], "UP");
  EXPECT_EQ(p["price_per_cpu_hour"], "0.250000");
  // Refused registrations: the status and error code for each.
  struct Bad {
    const char* path;
    const char* body;
    const char* code;
  };
  for (const Bad& bad : {Bad{"/og/v1/partitions/p2", R"({"cpus":0})", "invalid_field"},
                         Bad{"/og/v1/partitions/p2", R"({"cpu":4})", "unknown_field"},
                         Bad{"/og/v1/partitions/p2", R"({"cpus":"four"})", "invalid_field"},
                         Bad{"/og/v1/partitions/p%20x", R"({"cpus":1})", "invalid_name"}}) {
    auto refused = call("PUT", bad.path, worker_, bad.body);
    EXPECT_EQ(refused.status, 400) << bad.path << " " << bad.body;
    EXPECT_EQ(error_code(refused), bad.code) << bad.path << " " << bad.body;
  }
  auto negative_price = call("PUT", "/og/v1/partitions/p2", worker_, R"({"cpus":1,"price_micros":-1})");
  EXPECT_EQ(negative_price.status, 400);
}

TEST_F(ApiTest, WorkerCannotSubmit) {
  auto r = call("POST", "/og/v1/jobs", worker_, job_body());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_code(r), "forbidden");
}

TEST_F(ApiTest, ArtifactUpload) {
  std::string data = "output bytes\n";
  std::string digest = sha256_hex(data);
  // A worker's upload must name an active lease it holds.
  auto no_lease = call("PUT", "/og/v1/artifacts/" + digest, worker_, data);
  EXPECT_EQ(no_lease.status, 403);
  EXPECT_EQ(call("PUT", "/og/v1/artifacts/" + digest, worker_, data, {{"lease", "42"}}).status, 403);
  // The blob itself (as an admin may upload one).
  auto mismatch = call("PUT", "/og/v1/artifacts/" + sha256_hex("other"), admin_, data);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(error_code(mismatch), "digest_mismatch");
  auto not_hex = call("PUT", "/og/v1/artifacts/xyz", admin_, data);
  EXPECT_EQ(not_hex.status, 400);
  EXPECT_EQ(error_code(not_hex), "invalid_digest");
  EXPECT_EQ(call("HEAD", "/og/v1/artifacts/" + digest, worker_).status, 404);
  auto ok = call("PUT", "/og/v1/artifacts/" + digest, admin_, data);
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(body_of(ok)["sha256"], digest);
  EXPECT_EQ(call("HEAD", "/og/v1/artifacts/" + digest, admin_).status, 200);
  // A worker learns of a blob only through a lease whose job uploaded it: not by probing.
  EXPECT_EQ(call("HEAD", "/og/v1/artifacts/" + digest, worker_).status, 404);
  EXPECT_EQ(artifacts_->get(digest).value_or(""), data);
  // Users neither upload nor read blobs directly.
  EXPECT_EQ(call("PUT", "/og/v1/artifacts/" + digest, alice_, data).status, 403);
  EXPECT_EQ(call("GET", "/og/v1/artifacts/" + digest, alice_).status, 403);
}

TEST_F(ApiTest, AdminAddsUsers) {
  auto r = call("POST", "/og/v1/users", admin_, R"({"name":"bob","role":"user"})");
  ASSERT_EQ(r.status, 201) << r.body;
  json j = body_of(r);
  EXPECT_EQ(j["name"], "bob");
  std::string token = j["token"];
  auto ping = call("GET", "/og/v1/ping", token);
  ASSERT_EQ(ping.status, 200);
  EXPECT_EQ(body_of(ping)["user"], "bob");
  EXPECT_EQ(body_of(ping)["role"], "user");
  // Default role is user; duplicates conflict; only admins may add users.
  auto dflt = call("POST", "/og/v1/users", admin_, R"({"name":"carol"})");
  ASSERT_EQ(dflt.status, 201);
  EXPECT_EQ(body_of(call("GET", "/og/v1/ping", body_of(dflt)["token"].get<std::string>()))["role"],
            "user");
  auto dup = call("POST", "/og/v1/users", admin_, R"({"name":"bob"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(error_code(dup), "user_exists");
  auto by_user = call("POST", "/og/v1/users", alice_, R"({"name":"mallory","role":"admin"})");
  EXPECT_EQ(by_user.status, 403);
  EXPECT_EQ(error_code(by_user), "forbidden");
  auto bad_role = call("POST", "/og/v1/users", admin_, R"({"name":"dave","role":"god"})");
  EXPECT_EQ(bad_role.status, 400);
  EXPECT_EQ(error_code(bad_role), "invalid_role");
}

TEST_F(ApiTest, CancelOthersJobIsForbidden) {
  uint64_t id = body_of(call("POST", "/og/v1/jobs", alice_, job_body()))["job_id"];
  std::string bob = controller_->credentials().add_user("bob", "user");
  auto r = call("DELETE", "/og/v1/jobs/" + std::to_string(id), bob);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_code(r), "forbidden");
  auto mine = call("DELETE", "/og/v1/jobs/" + std::to_string(id), alice_);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(body_of(mine)["jobs"][0]["job_state"], "CANCELLED");
}

TEST_F(ApiTest, WorkerLifecycleThroughTheApi) {
  uint64_t id = body_of(call("POST", "/og/v1/jobs", alice_, job_body()))["job_id"];
  ASSERT_EQ(call("PUT", "/og/v1/partitions/p1", worker_, R"({"cpus":2,"memory_mb":1024})").status,
            200);
  json lease;
  for (int i = 0; i < 30 && lease.is_null(); ++i) {
    auto poll = call("POST", "/og/v1/partitions/p1/poll", worker_, R"({"running":[],"wait_ms":500})");
    ASSERT_EQ(poll.status, 200) << poll.body;
    json j = body_of(poll);
    EXPECT_TRUE(j["max_wait_ms"].is_number());
    if (!j["leases"].empty()) lease = j["leases"][0];
  }
  ASSERT_FALSE(lease.is_null()) << "no lease delivered";
  EXPECT_EQ(lease["job_id"], id);
  EXPECT_EQ(lease["user"], "alice");
  EXPECT_EQ(lease["spec"]["name"], "hello");
  uint64_t lease_id = lease["lease_id"];
  std::string complete_path = "/og/v1/leases/" + std::to_string(lease_id) + "/complete";

  std::string data = "hi\n";
  Manifest m;
  m.files = {{"slurm-" + std::to_string(id) + ".out", data.size(), sha256_hex(data)}};
  m.root = merkle_root(m.files);
  json report = {{"outcome", "COMPLETED"}, {"exit_code", 0}, {"manifest", to_json(m)}};

  // Users cannot report; outcome is checked; files must be uploaded first.
  EXPECT_EQ(call("POST", complete_path, alice_, report.dump()).status, 403);
  json bad_outcome = report;
  bad_outcome["outcome"] = "GREAT";
  auto bo = call("POST", complete_path, worker_, bad_outcome.dump());
  EXPECT_EQ(bo.status, 400);
  EXPECT_EQ(error_code(bo), "invalid_field");
  json no_manifest = report;
  no_manifest.erase("manifest");
  auto nm = call("POST", complete_path, worker_, no_manifest.dump());
  EXPECT_EQ(nm.status, 400);
  EXPECT_EQ(error_code(nm), "missing_field");
  json bad_root = report;
  bad_root["manifest"]["root"] = sha256_hex("nope");
  auto br = call("POST", complete_path, worker_, bad_root.dump());
  EXPECT_EQ(br.status, 400);
  EXPECT_EQ(error_code(br), "invalid_manifest");
  auto missing = call("POST", complete_path, worker_, report.dump());
  EXPECT_EQ(missing.status, 409);
  EXPECT_EQ(error_code(missing), "artifact_missing");

  ASSERT_EQ(call("PUT", "/og/v1/artifacts/" + m.files[0].sha256, worker_, data, {{"lease", std::to_string(lease_id)}}).status,
            201);
  auto done = call("POST", complete_path, worker_, report.dump());
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(body_of(done)["accepted"], true);
  auto again = call("POST", complete_path, worker_, report.dump());
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(error_code(again), "lease_inactive");

  auto job = body_of(call("GET", "/og/v1/jobs/" + std::to_string(id), alice_))["jobs"][0];
  EXPECT_EQ(job["job_state"], "COMPLETED");
  EXPECT_EQ(job["canonical_root"], m.root);
  auto result = call("GET", "/og/v1/jobs/" + std::to_string(id) + "/result", alice_);
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(body_of(result)["root"], m.root);
  auto file = call("GET", "/og/v1/jobs/" + std::to_string(id) + "/files/" + m.files[0].path, alice_);
  ASSERT_EQ(file.status, 200);
  EXPECT_EQ(file.body, data);
  EXPECT_EQ(file.content_type, "application/octet-stream");
  auto nofile = call("GET", "/og/v1/jobs/" + std::to_string(id) + "/files/other.txt", alice_);
  EXPECT_EQ(nofile.status, 404);
  EXPECT_EQ(error_code(nofile), "file_not_found");
  auto waited = call("GET", "/og/v1/jobs/" + std::to_string(id) + "/wait", alice_, "",
                     {{"timeout_ms", "1"}});
  ASSERT_EQ(waited.status, 200);
  EXPECT_EQ(body_of(waited)["jobs"][0]["job_state"], "COMPLETED");
}

// Regression (fixed): field<uint32_t>() relies on nlohmann's get<>, which converts
// a negative JSON number without complaint, so {"cpus":-1} registers a partition with
// 4294967295 CPUs instead of answering 400 invalid_field.
TEST_F(ApiTest, NegativeCpusAreRefused) {
  auto r = call("PUT", "/og/v1/partitions/p1", worker_, R"({"cpus":-1})");
  EXPECT_EQ(r.status, 400) << r.body;
  auto g = call("PUT", "/og/v1/partitions/p2", worker_, R"({"cpus":1,"gpus":-1})");
  EXPECT_EQ(g.status, 400) << g.body;
}

}  // namespace
}  // namespace og

namespace og {
namespace {

// Routes come from a table (api.cpp): the most literal pattern wins, a known path with
// another method is 405, and an action is read from the path's last segment — a trailing
// slash does not turn "hold" into "release".
TEST_F(ApiTest, TheRouteTableAnswersByPathAndMethod) {
  auto submitted = call("POST", "/og/v1/jobs", alice_, job_body());
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  std::string id = std::to_string(body_of(submitted)["job_id"].get<uint64_t>());
  auto held = call("POST", "/og/v1/jobs/" + id + "/hold/", alice_);
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_EQ(body_of(held)["jobs"][0]["state_reason"], "JobHeldUser");
  EXPECT_EQ(call("GET", "/og/v1/jobs/parse", alice_).status, 405) << "parse is not a job id";
  EXPECT_EQ(call("PATCH", "/og/v1/jobs/" + id, alice_).status, 405);
  EXPECT_EQ(error_code(call("PATCH", "/og/v1/jobs/" + id, alice_)), "method_not_allowed");
  EXPECT_EQ(call("GET", "/og/v1/jobs/" + id + "/nothing", alice_).status, 404);
  EXPECT_EQ(call("GET", "/og/v1/jobs/x1/events", alice_).status, 400) << "an id that is not a number";
  EXPECT_EQ(call("GET", "/elsewhere", alice_).status, 404);
  auto files = call("GET", "/og/v1/jobs/" + id + "/files/a/b.txt", alice_);
  EXPECT_EQ(files.status, 409) << "the file route takes the rest of the path; the job has no result yet";
}

}  // namespace
}  // namespace og
