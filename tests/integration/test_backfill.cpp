// EASY backfill, FIFO and the start plan through the real binaries.
#include <gtest/gtest.h>

#include <fstream>

#include "core/time_util.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

struct Queue {
  uint64_t running, big, long_small, short_small;
};

// One 4-CPU worker: a 3-CPU job runs (10 min limit) until `flag` appears; then a 4-CPU job
// must wait for it, a long 1-CPU job would delay it, a short 1-CPU job would not.
Queue fill(Mesh& mesh, const std::string& flag) {
  auto submit = [&](const std::string& name, const std::string& options, const std::string& body) {
    // --max-price: the worker may ask more than og-schedd's default cap of 0.10.
    std::string script = mesh.write_script(name, "#!/bin/bash\n#SBATCH " + options + " --max-price=2\n" + body);
    auto r = mesh.run({"og-sbatch", "--parsable", script});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? std::stoull(r.out) : 0;
  };
  std::string wait_for_flag = "while [ ! -e " + flag + " ]; do sleep 0.05; done\n";
  Queue q;
  q.running = submit("running.sh", "-c 3 --time=10", wait_for_flag);
  EXPECT_TRUE(mesh.await_state(q.running, "RUNNING"));
  q.big = submit("big.sh", "-c 4 --time=5", "true\n");
  q.long_small = submit("long.sh", "-c 1 --time=30", wait_for_flag);
  q.short_small = submit("short.sh", "-c 1 --time=2", "true\n");
  return q;
}

TEST(Backfill, ShortJobsRunAheadWithoutDelayingTheBlockedOne) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(4, {"--price", "1", "--gpu-price", "2.5", "--operator", "acme"});
  mesh.await_workers(1);
  std::string flag = mesh.dir() + "/go";
  int64_t before_s = now_unix_s();
  Queue q = fill(mesh, flag);
  EXPECT_EQ(mesh.wait_job(q.short_small)["job_state"], "COMPLETED") << "backfilled";
  auto big = mesh.job(q.big);
  EXPECT_EQ(big["job_state"], "PENDING");
  EXPECT_EQ(big["state_reason"], "Resources");
  auto long_small = mesh.job(q.long_small);
  EXPECT_EQ(long_small["job_state"], "PENDING");
  EXPECT_EQ(long_small["state_reason"], "Priority") << "it would still run when the big job is due";

  // The plan: the big job starts when the running job's 10 minutes are up, for 4 CPUs ×
  // 5 min at 1.00 per CPU-hour; the long one after the big one.
  auto start = mesh.run({"og-squeue", "--start", "--json"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  std::map<uint64_t, nlohmann::json> planned;
  const auto listing = nlohmann::json::parse(start.out);  // the loop must not outlive it
  for (const auto& j : listing["jobs"]) planned[j["job_id"].get<uint64_t>()] = j;
  ASSERT_TRUE(planned.count(q.big) && planned[q.big].contains("expected")) << start.out;
  int64_t big_at = planned[q.big]["expected"]["start_time"];
  EXPECT_GE(big_at, before_s + 600);
  EXPECT_LE(big_at, now_unix_s() + 601);
  EXPECT_EQ(planned[q.big]["expected"]["cost"], "0.333333");
  EXPECT_GE(planned[q.long_small]["expected"]["start_time"].get<int64_t>(), big_at + 300);
  EXPECT_FALSE(planned.count(q.running)) << "--start lists pending jobs only";
  auto table = mesh.run({"og-squeue", "--start"});
  EXPECT_NE(table.out.find("START_TIME"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("0.333333"), std::string::npos) << table.out;

  // --test-only says when and at what cost a new job would start.
  std::string probe = mesh.write_script("probe.sh", "#!/bin/bash\n#SBATCH -c 1 --time=60 --max-price=2\ntrue\n");
  auto test = mesh.run({"og-sbatch", "--test-only", probe});
  EXPECT_EQ(test.exit_code, 0) << test.err;
  EXPECT_NE(test.err.find("Job to start at"), std::string::npos) << test.err;
  EXPECT_NE(test.err.find("expected cost at most 1.000000"), std::string::npos) << test.err;

  auto sinfo = nlohmann::json::parse(mesh.run({"og-sinfo", "--json"}).out)["partitions"][0];
  EXPECT_EQ(sinfo["operator"], "acme");
  EXPECT_EQ(sinfo["price_per_gpu_hour"], "2.500000");

  std::ofstream(flag) << "go";
  EXPECT_EQ(mesh.wait_job(q.big)["job_state"], "COMPLETED");
  EXPECT_EQ(mesh.wait_job(q.long_small)["job_state"], "COMPLETED");
}

TEST(Backfill, FifoHoldsTheShortJobBack) {
  Mesh mesh;
  mesh.start_schedd({"--scheduler", "fifo"});
  mesh.start_worker(4);
  mesh.await_workers(1);
  std::string flag = mesh.dir() + "/go";
  Queue q = fill(mesh, flag);
  // The short job was looked at (it has its reason) and still waits behind the big one.
  EXPECT_TRUE(await([&] { return mesh.job(q.short_small)["state_reason"] != "None"; }));
  auto short_small = mesh.job(q.short_small);
  EXPECT_EQ(short_small["job_state"], "PENDING");
  EXPECT_EQ(short_small["state_reason"], "Priority");
  std::ofstream(flag) << "go";
  EXPECT_EQ(mesh.wait_job(q.short_small)["job_state"], "COMPLETED");
  EXPECT_EQ(mesh.wait_job(q.big)["job_state"], "COMPLETED");
}

}  // namespace
}  // namespace og::test
