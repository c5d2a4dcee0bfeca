// Authentication, authorisation and hostile input against a real og-schedd.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

nlohmann::json job_body(const std::string& script = "#!/bin/bash\ntrue\n") {
  return {{"job", {{"name", "t"}, {"script", script}, {"script_name", "t.sh"}}}};
}

std::string error_code(const HttpResult& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_discarded() ? "" : j["error"].value("code", "");
}

// A TCP connection to 127.0.0.1:port; -1 when it cannot be made.
// A connection to og-schedd on 127.0.0.1 from `from` (another loopback address stands for
// another client).
int connect_loopback(uint16_t port, const char* from = nullptr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (from) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    inet_pton(AF_INET, from, &source.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  close(fd);
  return -1;
}

// Sends raw bytes on a fresh connection and returns what came back before close.
std::string raw_exchange(uint16_t port, const std::string& bytes, const char* from = nullptr) {
  int fd = connect_loopback(port, from);
  if (fd < 0) return "";
  (void)!write(fd, bytes.data(), bytes.size());
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  return reply;
}

class ApiSecurity : public ::testing::Test {
 protected:
  void SetUp() override { mesh.start_schedd({"--io-timeout", "1"}); }
  Mesh mesh;
};

TEST_F(ApiSecurity, RequestsWithoutAValidCredentialAre401) {
  HttpClient anonymous(mesh.url(), "");
  auto r = anonymous.request("GET", "/og/v1/jobs");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  HttpClient forged(mesh.url(), std::string(64, 'a'));
  EXPECT_EQ(forged.request("GET", "/og/v1/jobs").status, 401);
}

TEST_F(ApiSecurity, AdminCredentialIsCreatedPrivateAtFirstStart) {
  std::string path = mesh.dir() + "/schedd/admin.token";
  std::string token = read_file(path);
  ASSERT_FALSE(token.empty());
  token.pop_back();
  HttpClient admin(mesh.url(), token);
  EXPECT_EQ(admin.call("GET", "/og/v1/ping")["role"], "admin");
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ApiSecurity, AWorkerCredentialSeesOnlyTheJobsItsPartitionsRan) {
  std::string w1 = mesh.start_worker(2), w2 = mesh.start_worker(2);
  mesh.await_workers(2);
  uint64_t ran = mesh.sbatch({"-p", w1, mesh.write_script("here.sh", "#!/bin/bash\ntrue\n")}, mesh.dir());
  ASSERT_EQ(mesh.wait_job(ran)["job_state"], "COMPLETED");
  uint64_t held = mesh.sbatch({"--hold", mesh.write_script("held.sh", "#!/bin/bash\ntrue\n")}, mesh.dir());
  auto ids = [](const nlohmann::json& answer) {
    std::vector<uint64_t> out;
    for (const auto& j : answer["jobs"]) out.push_back(j["job_id"].get<uint64_t>());
    return out;
  };
  auto as_w1 = mesh.client(w1), as_w2 = mesh.client(w2);
  EXPECT_EQ(ids(as_w1.call("GET", "/og/v1/jobs")), std::vector<uint64_t>{ran});
  EXPECT_EQ(ids(as_w1.call("GET", "/og/v1/accounting?since=1")), std::vector<uint64_t>{ran});
  EXPECT_TRUE(ids(as_w2.call("GET", "/og/v1/jobs")).empty()) << "it ran none";
  EXPECT_EQ(as_w1.request("GET", "/og/v1/jobs/" + std::to_string(held)).status, 404);
  EXPECT_EQ(as_w2.request("GET", "/og/v1/jobs/" + std::to_string(ran)).status, 404);
  EXPECT_EQ(as_w2.request("GET", "/og/v1/jobs/" + std::to_string(ran) + "/wait?timeout_ms=1").status, 404);
  EXPECT_TRUE(as_w1.call("GET", "/og/v1/priority")["jobs"].empty());
  EXPECT_EQ(ids(mesh.client().call("GET", "/og/v1/jobs")), (std::vector<uint64_t>{ran, held}))
      << "users see the queue, as squeue shows it";
}

TEST_F(ApiSecurity, UsersCannotCancelEachOthersJobs) {
  uint64_t id = mesh.client("alice").call("POST", "/og/v1/jobs", job_body())["job_id"];
  auto r = mesh.client("bob").request("DELETE", "/og/v1/jobs/" + std::to_string(id));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_code(r), "forbidden");
  auto cancel = mesh.run({"og-scancel", std::to_string(id)}, "bob");
  EXPECT_NE(cancel.exit_code, 0);
  EXPECT_EQ(mesh.job(id)["job_state"], "PENDING");
}

TEST_F(ApiSecurity, AWorkerCannotReportOnALeaseItDoesNotHold) {
  mesh.token("w1", "worker");
  mesh.token("w2", "worker");
  HttpClient w1(mesh.url(), mesh.token("w1")), w2(mesh.url(), mesh.token("w2"));
  w1.call("PUT", "/og/v1/partitions/p1", {{"cpus", 1}, {"memory_mb", 100}});
  w2.call("PUT", "/og/v1/partitions/p2", {{"cpus", 1}, {"memory_mb", 100}, {"price_micros", 5}});
  uint64_t id = mesh.client().call("POST", "/og/v1/jobs", job_body())["job_id"];
  auto leases = w1.call("POST", "/og/v1/partitions/p1/poll", {{"running", nlohmann::json::array()}, {"wait_ms", 5000}})["leases"];
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0]["job_id"], id);
  std::string lease = std::to_string(leases[0]["lease_id"].get<uint64_t>());
  nlohmann::json report = {{"outcome", "COMPLETED"}, {"exit_code", 0},
                           {"manifest", {{"version", 1}, {"files", nlohmann::json::array()},
                                         {"root", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}}};
  auto forged = w2.request("POST", "/og/v1/leases/" + lease + "/complete", report.dump());
  EXPECT_EQ(forged.status, 403);
  // Polling someone else's partition is refused too.
  EXPECT_EQ(w2.request("POST", "/og/v1/partitions/p1/poll", "{}").status, 403);
  // A user is no worker.
  EXPECT_EQ(mesh.client().request("POST", "/og/v1/leases/" + lease + "/complete", report.dump()).status, 403);
  // The holder's report is accepted and decides the job.
  EXPECT_EQ(w1.request("POST", "/og/v1/leases/" + lease + "/complete", report.dump()).status, 200);
  EXPECT_EQ(mesh.job(id)["job_state"], "COMPLETED");
}

TEST_F(ApiSecurity, BadRequestsGetClearErrorsAndLoseNothing) {
  auto c = mesh.client();
  uint64_t kept = c.call("POST", "/og/v1/jobs", job_body())["job_id"];
  auto malformed = c.request("POST", "/og/v1/jobs", "{\"job\": ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(error_code(malformed), "malformed_json");
  auto unknown = c.request("POST", "/og/v1/jobs", R"({"job":{"script":"#!/bin/sh\n","colour":"red"}})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("colour"), std::string::npos) << unknown.body;
  auto missing = c.request("GET", "/og/v1/jobs/987654");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(error_code(missing), "job_not_found");
  auto oversize = c.request("POST", "/og/v1/jobs", std::string(2 * 1024 * 1024, ' '));
  EXPECT_EQ(oversize.status, 413);
  EXPECT_EQ(error_code(oversize), "body_too_large");
  EXPECT_EQ(mesh.job(kept)["job_state"], "PENDING");
}

TEST_F(ApiSecurity, GarbageOnTheSocketIsRefusedAndOthersAreStillServed) {
  std::string garbage;
  for (int i = 0; i < 512; ++i) garbage += static_cast<char>((i * 37 + 11) % 256);
  std::string reply = raw_exchange(mesh.port(), garbage);
  EXPECT_NE(reply.find("400"), std::string::npos) << reply;
  EXPECT_EQ(mesh.client().call("GET", "/og/v1/ping")["status"], "ok");
}

TEST_F(ApiSecurity, AStalledClientTimesOutWithoutBlockingOthers) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(mesh.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string partial = "POST /og/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"jo";
  ASSERT_GT(write(fd, partial.data(), partial.size()), 0);
  // Others are served while this one stalls.
  EXPECT_EQ(mesh.client().call("GET", "/og/v1/ping")["status"], "ok");
  // The server hangs up on it after --io-timeout (1 s here).
  auto start = std::chrono::steady_clock::now();
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  EXPECT_LE(n, 0) << "a stalled request must not be answered as if complete";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}


TEST(Keys, KeygenCreatesAPrivateKeyOnceAndRegistersItsPublicHalf) {
  Mesh mesh;
  mesh.start_schedd();
  auto first = mesh.run({"og-keygen", "--register"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string pub = first.out.substr(0, first.out.find('\n'));
  EXPECT_EQ(pub.size(), 64u);
  EXPECT_EQ(mesh.run({"og-keygen"}).out, first.out) << "the same key the second time";
  auto bob = mesh.client("bob");
  EXPECT_EQ(bob.call("GET", "/og/v1/users/alice/key")["public_key"], pub) << "anyone may check a signer's key";
  auto forged = bob.request("PUT", "/og/v1/users/alice/key", R"({"public_key":")" + std::string(64, 'a') + R"("})",
                            5000, "application/json");
  EXPECT_EQ(forged.status, 403u) << "nobody sets another user's key";
  auto bad = bob.request("PUT", "/og/v1/users/me/key", R"({"public_key":"xyz"})", 5000, "application/json");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(mesh.client("alice").call("GET", "/og/v1/users/me/key")["public_key"], pub);
}

TEST(RateLimit, ABurstBeyondTheBucketGets429WithRetryAfterAndOthersAreUnaffected) {
  Mesh mesh;
  mesh.start_schedd({"--rate-limit", "2", "--rate-burst", "5"});
  mesh.token("alice");
  mesh.token("bob");
  auto alice = mesh.client("alice");
  int ok = 0, limited = 0;
  HttpResult refused;
  for (int i = 0; i < 12; ++i) {
    auto r = alice.request("GET", "/og/v1/ping");
    if (r.status == 200) ++ok;
    if (r.status == 429) ++limited, refused = r;
  }
  // The burst of 5 (less the faucet deposit made with alice's credential), and what
  // refilled at 2/s meanwhile.
  EXPECT_GE(ok, 4);
  EXPECT_LE(ok, 7);
  EXPECT_GE(limited, 5);
  EXPECT_NE(refused.body.find("\"rate_limited\""), std::string::npos) << refused.body;
  EXPECT_EQ(refused.header("Retry-After"), "1");
  // Another credential has its own bucket.
  EXPECT_EQ(mesh.client("bob").request("GET", "/og/v1/ping").status, 200);
  // After Retry-After (1 s at 2/s), alice may again.
  EXPECT_TRUE(await([&] { return alice.request("GET", "/og/v1/ping").status == 200; }, std::chrono::seconds(3)));
}

TEST(ConnectionLimit, BeyondMaxConnectionsNewOnesGet503UntilOneCloses) {
  Mesh mesh;
  mesh.start_schedd({"--max-connections", "3"});
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    int fd = connect_loopback(mesh.port());
    ASSERT_GE(fd, 0);
    held.push_back(fd);  // idle: each holds one of og-schedd's connection slots
  }
  std::string reply;
  // The third connection may still be on its way through accept(): ask until refused.
  ASSERT_TRUE(await([&] {
    reply = raw_exchange(mesh.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    return reply.find("503") != std::string::npos;
  })) << reply;
  EXPECT_NE(reply.find("too_many_connections"), std::string::npos) << reply;
  for (int fd : held) close(fd);
  EXPECT_TRUE(await([&] { return HttpClient(mesh.url(), "").request("GET", "/healthz").status == 200; }));
}

TEST(ConnectionLimit, OneAddressHoldingIdleConnectionsCannotShutOutTheOthers) {
  Mesh mesh;
  mesh.start_schedd({"--max-connections", "64", "--max-connections-per-address", "4"});
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    int fd = connect_loopback(mesh.port(), "127.0.0.9");
    ASSERT_GE(fd, 0);
    held.push_back(fd);  // an unauthenticated client's idle connections
  }
  std::string reply;
  ASSERT_TRUE(await([&] {
    reply = raw_exchange(mesh.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "127.0.0.9");
    return reply.find("503") != std::string::npos;
  })) << reply;
  // Everyone else is still served.
  std::string other = raw_exchange(mesh.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                   "127.0.0.10");
  EXPECT_NE(other.find("200 OK"), std::string::npos) << other;
  EXPECT_EQ(mesh.client().request("GET", "/og/v1/ping").status, 200);
  for (int fd : held) close(fd);
}

TEST(RateLimit, AnAddressThatKeepsGuessingCredentialsIsAnswered429BeforeAnyLookup) {
  Mesh mesh;
  mesh.start_schedd({});
  auto alice = mesh.client();
  ASSERT_EQ(alice.request("GET", "/og/v1/ping").status, 200);  // a credential og-schedd has seen
  HttpClient guesser(mesh.url(), std::string(64, 'f'));
  int unauthorized = 0;
  HttpResult last;
  for (int i = 0; i < 110 && last.status != 429; ++i) {
    last = guesser.request("GET", "/og/v1/jobs");
    unauthorized += last.status == 401;
  }
  // 100 guesses at once (and what refilled at 10/s meanwhile), then 429 with Retry-After.
  EXPECT_GE(unauthorized, 100);
  ASSERT_EQ(last.status, 429) << last.body;
  EXPECT_EQ(last.header("Retry-After"), "1");
  EXPECT_NE(last.body.find("missing or unknown credential"), std::string::npos) << last.body;
  // From the same address, a known credential is still served at once; /healthz stays
  // open; unknown credentials may try again shortly.
  EXPECT_EQ(alice.request("GET", "/og/v1/ping").status, 200);
  EXPECT_EQ(guesser.request("GET", "/healthz").status, 200);
  EXPECT_TRUE(await([&] { return mesh.client("bob").request("GET", "/og/v1/ping").status == 200; }, std::chrono::seconds(3)));
}

}  // namespace
}  // namespace og::test
