// og-schedd over HTTPS: clients and workers that trust its CA get through and run jobs;
// a client holding another CA, or speaking plain HTTP, is refused at the handshake.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    make_ca("tls");
    mesh.tls_cert_file = mesh.dir() + "/tls/server.pem";
    mesh.tls_key_file = mesh.dir() + "/tls/server.key";
    mesh.tls_ca_file = mesh.dir() + "/tls/ca.pem";
    mesh.start_schedd({});
  }
  // A fresh CA and a server certificate for 127.0.0.1 under DIR/name (og-tls-ca).
  void make_ca(const std::string& name) {
    auto r = mesh.exec({bin_path("og-tls-ca"), mesh.dir() + "/" + name});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  Mesh mesh;
};

TEST_F(Tls, ClientsAndWorkersTrustingItsCaRunJobsOverHttps) {
  ASSERT_EQ(mesh.url().rfind("https://127.0.0.1:", 0), 0u);
  mesh.start_worker(1);
  mesh.await_workers(1);
  auto r = mesh.client().call("POST", "/og/v1/jobs", {{"job", {{"name", "tls"}, {"script", "#!/bin/bash\necho over-tls\n"}, {"script_name", "t.sh"}}}});
  auto done = mesh.wait_job(r["job_id"].get<uint64_t>());
  EXPECT_EQ(done["job_state"], "COMPLETED");
  // The CLI finds the CA in OG_CA_FILE.
  auto sacct = mesh.run({"og-sacct", "-j", std::to_string(r["job_id"].get<uint64_t>())});
  EXPECT_EQ(sacct.exit_code, 0) << sacct.err;
  EXPECT_NE(sacct.out.find("COMPLETED"), std::string::npos) << sacct.out;
  // By name as well as by address: the certificate names localhost.
  HttpClient by_name("https://localhost:" + std::to_string(mesh.port()), mesh.token("alice"), mesh.tls_ca_file);
  EXPECT_EQ(by_name.call("GET", "/og/v1/ping")["user"], "alice");
}

TEST_F(Tls, AClientHoldingAnotherCaIsRefusedAtTheHandshake) {
  make_ca("other");
  HttpClient stranger(mesh.url(), mesh.token("alice"), mesh.dir() + "/other/ca.pem");
  try {
    stranger.call("GET", "/og/v1/ping");
    FAIL() << "a certificate from another CA was accepted";
  } catch (const HttpUnreachable& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
  }
  // The same from the command line: a clear error, exit status 1.
  auto cli = mesh.exec({"og-squeue"}, {"OG_SCHEDD_URL=" + mesh.url(), "OG_TOKEN_FILE=" + mesh.dir() + "/alice.token",
                                       "OG_CA_FILE=" + mesh.dir() + "/other/ca.pem"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("certificate verify failed"), std::string::npos) << cli.err;
  // Plain HTTP to the HTTPS port gets no answer; trusted clients are still served.
  std::string plain_url = "http://" + mesh.url().substr(8);
  EXPECT_THROW(HttpClient(plain_url, mesh.token("alice")).call("GET", "/og/v1/ping", nullptr, 3000), HttpUnreachable);
  EXPECT_EQ(mesh.client().call("GET", "/og/v1/ping")["user"], "alice");
}

TEST_F(Tls, ACertificateAndAKeyThatDoNotBelongTogetherAreRefusedAtStart) {
  make_ca("other");
  auto r = mesh.exec({"og-schedd", "--state", mesh.dir() + "/second", "--listen", "127.0.0.1:0",
                      "--tls-cert", mesh.dir() + "/tls/server.pem", "--tls-key", mesh.dir() + "/other/server.key"});
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("not a PEM private key matching the certificate"), std::string::npos) << r.err;
  mesh.token("w", "worker");
  auto missing = mesh.exec({"og-worker", "--url", mesh.url(), "--token-file", mesh.dir() + "/w.token",
                            "--dir", mesh.dir() + "/w", "--ca-file", mesh.dir() + "/nowhere.pem"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nowhere.pem"), std::string::npos) << missing.err;
}

TEST(TlsMesh, OgMeshUpTlsRunsAJobOverHttpsWithTheCaItMade) {
  Mesh host;  // only for its directory and exec
  std::string dir = host.dir() + "/mesh";
  auto up = host.exec({"og-mesh", "up", "--tls", "--workers", "1", "--cpus", "1", "--dir", dir});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.out.find("export OG_SCHEDD_URL=https://127.0.0.1:"), std::string::npos) << up.out;
  EXPECT_NE(up.out.find("export OG_CA_FILE=" + dir + "/tls/ca.pem"), std::string::npos) << up.out;
  std::string url = up.out.substr(up.out.find("https://"));
  url = url.substr(0, url.find('\n'));
  std::string script = host.write_script("hello.sh", "#!/bin/bash\necho hello over https\n");
  auto job = host.exec({"og-sbatch", "--wait", script},
                       {"OG_SCHEDD_URL=" + url, "OG_TOKEN_FILE=" + dir + "/user.token", "OG_CA_FILE=" + dir + "/tls/ca.pem",
                        "OG_KEY_DIR=" + dir + "/keys"});
  auto down = host.exec({"og-mesh", "down", "--dir", dir});
  EXPECT_EQ(job.exit_code, 0) << job.err;
  EXPECT_EQ(read_file(host.dir() + "/slurm-1.out"), "hello over https\n");
  EXPECT_EQ(down.exit_code, 0) << down.err;
}

// The commands people run in loops start without OpenSSL (its loading and start cost
// milliseconds): TLS comes from og-tls.so, and only for an https:// address (the tests
// above run og-squeue, og-sacct and og-sbatch over HTTPS through it).
TEST(QuickCommands, LoadNoOpenSslForPlainHttp) {
  Mesh shell;
  for (const char* tool : {"og-sbatch", "og-squeue", "og-sinfo", "og-sacct", "og-scancel", "og-scontrol", "og-tail"}) {
    auto linked = shell.exec({"/usr/bin/ldd", bin_path(tool)});
    ASSERT_EQ(linked.exit_code, 0) << linked.err;
    EXPECT_EQ(linked.out.find("libssl"), std::string::npos) << tool << ":\n" << linked.out;
    EXPECT_EQ(linked.out.find("libcrypto"), std::string::npos) << tool << ":\n" << linked.out;
  }
  // og-fetch hashes gigabytes: it keeps OpenSSL's SHA-256.
  EXPECT_NE(shell.exec({"/usr/bin/ldd", bin_path("og-fetch")}).out.find("libcrypto"), std::string::npos);
  auto module = shell.exec({"/usr/bin/ldd", bin_path("og-tls.so")});
  EXPECT_NE(module.out.find("libssl"), std::string::npos) << module.out;
}

}  // namespace
}  // namespace og::test
