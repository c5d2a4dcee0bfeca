// -C/--constraint and --exclusive through the real binaries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

TEST(Constraints, FeaturesSteerJobsAndExclusiveTakesTheWholeWorker) {
  Mesh mesh;
  mesh.start_schedd();
  std::string plain = mesh.start_worker(2);
  std::string fast = mesh.start_worker(2, {"--features", "avx512,nvme", "--price", "0.5"});
  mesh.await_workers(2);
  std::string script = mesh.write_script("c.sh", "#!/bin/bash\n#SBATCH -C avx512 --max-price=1\necho $SLURM_JOB_PARTITION\n");
  auto r = mesh.run({"og-sbatch", "--parsable", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto job = mesh.wait_job(std::stoull(r.out));
  EXPECT_EQ(job["job_state"], "COMPLETED");
  EXPECT_EQ(job["nodes"], fast) << "only the worker with the feature fits, though it costs more";

  std::string flag = mesh.dir() + "/go";
  std::string whole = mesh.write_script(
      "x.sh", "#!/bin/bash\n#SBATCH --exclusive -p " + plain + "\nwhile [ ! -e " + flag + " ]; do sleep 0.05; done\n");
  r = mesh.run({"og-sbatch", "--parsable", whole});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t id = std::stoull(r.out);
  ASSERT_TRUE(mesh.await_state(id, "RUNNING"));
  auto sinfo = nlohmann::json::parse(mesh.run({"og-sinfo", "--json", "-p", plain}).out);
  EXPECT_EQ(sinfo["partitions"][0]["cpus_allocated"], 2) << "an exclusive job holds every CPU";
  std::ofstream(flag) << "go";
  EXPECT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
}

}  // namespace
}  // namespace og::test
