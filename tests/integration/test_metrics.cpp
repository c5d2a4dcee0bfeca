// /metrics (Prometheus text format, admin credential) and /healthz (open) on a real
// og-schedd: every sample line parses, and the counts follow what the mesh did.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "core/money.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

// Sample lines of a scrape, "name{labels}" → value; fails the test on a malformed line.
std::map<std::string, double> parse_scrape(const std::string& text) {
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (-?[0-9.eE+-]+|\+Inf|NaN)$)");
  static const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::map<std::string, double> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, comment)) continue;
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "not a Prometheus sample: " << line;
    if (!m.empty()) out[m[1]] = m[3] == "+Inf" ? INFINITY : std::stod(m[3]);
  }
  return out;
}

TEST(Metrics, HealthzIsOpenAndMetricsNeedAnAdminCredential) {
  Mesh mesh;
  mesh.start_schedd();
  HttpClient anonymous(mesh.url(), "");
  auto health = anonymous.request("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(anonymous.request("GET", "/metrics").status, 401);
  EXPECT_EQ(mesh.client("alice").request("GET", "/metrics").status, 403);
}

TEST(Metrics, AScrapeParsesAndFollowsTheJobs) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.start_worker(2);
  mesh.await_workers(2);
  std::string ok = mesh.write_script("ok.sh", "#!/bin/bash\n#SBATCH --replicas=2\necho same\n");
  std::string held = mesh.write_script("held.sh", "#!/bin/bash\n#SBATCH --hold\ntrue\n");
  uint64_t done = mesh.sbatch({ok});
  mesh.sbatch({held});
  ASSERT_EQ(mesh.wait_job(done)["job_state"], "COMPLETED");

  mesh.token("ops", "admin");
  auto r = mesh.client("ops").request("GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = parse_scrape(r.body);
  EXPECT_EQ(m["og_jobs{state=\"COMPLETED\"}"], 1);
  EXPECT_EQ(m["og_jobs{state=\"PENDING\"}"], 1);
  EXPECT_EQ(m["og_queue_depth"], 1);
  EXPECT_EQ(m["og_partitions{state=\"UP\"}"], 2);
  EXPECT_EQ(m["og_jobs_finished_total{state=\"COMPLETED\"}"], 1);
  EXPECT_EQ(m["og_verifications_total{verdict=\"agreed\"}"], 1);
  EXPECT_EQ(m["og_job_start_latency_seconds_count"], 1);
  EXPECT_EQ(m["og_job_start_latency_seconds_bucket{le=\"+Inf\"}"], 1);
  EXPECT_GT(m["og_job_start_latency_seconds_sum"], 0);
  EXPECT_GE(m["og_scheduling_pass_seconds_count"], 1);
  EXPECT_LT(m["og_worker_heartbeat_age_seconds{partition=\"worker-1\"}"], 30);
  EXPECT_TRUE(m.count("og_ledger_treasury_micros"));  // the embedded ledger is on
  // The book by kind of account: money in wallets and bonds, and all of it adds up to zero
  // (external is where deposits came from).
  EXPECT_GT(m["og_ledger_balance_micros{kind=\"wallet\"}"], 0);
  double bonds = 0;
  for (const char* worker : {"worker-1", "worker-2"})
    bonds += parse_money_micros(mesh.client("ops").call("GET", std::string("/og/v1/wallet?user=") + worker)["bond"].get<std::string>());
  EXPECT_GT(bonds, 0);
  EXPECT_EQ(m["og_ledger_balance_micros{kind=\"bond\"}"], bonds) << "the two workers' bonds";
  double sum = 0;
  for (const auto& [name, value] : m)
    if (name.rfind("og_ledger_balance_micros{", 0) == 0) sum += value;
  EXPECT_EQ(sum, 0);
  EXPECT_LT(m["og_ledger_balance_micros{kind=\"external\"}"], 0);
  // Buckets, in the order written, are cumulative up to +Inf == count.
  std::istringstream lines(r.body);
  double previous = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("og_scheduling_pass_seconds_bucket", 0) == 0) {
      double value = std::stod(line.substr(line.rfind(' ') + 1));
      EXPECT_GE(value, previous) << line;
      previous = value;
    }
  EXPECT_EQ(previous, m["og_scheduling_pass_seconds_count"]);
}

}  // namespace
}  // namespace og::test
