// GPUs one by one, without a GPU (tests/integration/fake_gpus.hpp): a real og-schedd and
// jailed og-worker allocate, bind and hide two fake H100s as they would real ones.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>

#include "tests/integration/fake_gpus.hpp"
#include "tests/integration/mesh.hpp"
#include "worker/cgroup.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kJobUids = 16;
const uint32_t kFirstJobUid = 5000000 + (static_cast<uint32_t>(::getpid()) % 10000) * kJobUids;

class Gpus : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the jail and fake device nodes need root";
    gpus = make_fake_gpus(mesh.dir() + "/gpus");
    mesh.start_schedd();
    std::string uids = std::to_string(kFirstJobUid) + "-" + std::to_string(kFirstJobUid + kJobUids - 1);
    std::vector<std::string> options = {"--isolation", "jail", "--job-uids", uids, "--gpu-price", "1.00,h100=1.50"};
    for (const auto& o : gpus.worker_options()) options.push_back(o);
    worker = mesh.start_worker(4, options);
    mesh.await_workers(1);
    submit_dir = mesh.dir() + "/submit";
    fs::create_directories(submit_dir);
  }
  uint64_t submit(const std::string& name, const std::string& script, std::vector<std::string> args = {}) {
    args.push_back(mesh.write_script(name, script));
    return mesh.sbatch(args, submit_dir);
  }
  Mesh mesh;
  FakeGpus gpus;
  std::string worker, submit_dir;
};

// What a job sees of GPUs: its /dev nodes, the variables, and whether the other GPU opens.
const char* const kLooksAtGpus = R"SH(#!/bin/bash
#SBATCH --gres=gpu:h100:1
echo "nodes: $(cd /dev && ls -d nvidia* | tr '\n' ' ')"
echo "SLURM_JOB_GPUS=$SLURM_JOB_GPUS CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES GPU_DEVICE_ORDINAL=$GPU_DEVICE_ORDINAL"
echo "NVIDIA_VISIBLE_DEVICES=$NVIDIA_VISIBLE_DEVICES"
other=/dev/nvidia$(( 1 - SLURM_JOB_GPUS ))
if (exec 3<"$other") 2>/dev/null; then echo "opened $other"; else echo "cannot open $other"; fi
# Its own node exists (no driver behind a fake one: "No such device or address").
( exec 3<"/dev/nvidia$SLURM_JOB_GPUS" ) 2>&1 | sed 's/.*: //'
sleep 3
)SH";

TEST_F(Gpus, TwoOneGpuJobsOnATwoGpuProviderEachSeeOnlyTheirOwn) {
  // Both start in one pass: while one holds its GPU for seconds, the other gets the other.
  uint64_t a = submit("a.sh", kLooksAtGpus), b = submit("b.sh", kLooksAtGpus);
  std::string out_a = mesh.finished_output(a, submit_dir + "/a.d"), out_b = mesh.finished_output(b, submit_dir + "/b.d");
  std::set<std::string> gpus;
  for (const std::string* out : {&out_a, &out_b}) {
    SCOPED_TRACE(*out);
    bool first = out->find("SLURM_JOB_GPUS=0 ") != std::string::npos;
    std::string mine = first ? "0" : "1", other = first ? "1" : "0";
    gpus.insert(mine);
    EXPECT_NE(out->find("nodes: nvidia" + mine + " nvidiactl \n"), std::string::npos);
    EXPECT_NE(out->find("CUDA_VISIBLE_DEVICES=0 GPU_DEVICE_ORDINAL=0"), std::string::npos);
    EXPECT_NE(out->find(first ? "NVIDIA_VISIBLE_DEVICES=GPU-1111" : "NVIDIA_VISIBLE_DEVICES=GPU-6666"), std::string::npos);
    EXPECT_NE(out->find("cannot open /dev/nvidia" + other), std::string::npos);
    EXPECT_NE(out->find("No such device or address"), std::string::npos);
  }
  EXPECT_EQ(gpus, (std::set<std::string>{"0", "1"}));
  // The allocation is og-schedd's record: each replica names its GPU, and the bill its model's price.
  auto job = mesh.job(a);
  ASSERT_EQ(job["replica_leases"].size(), 1u);
  EXPECT_EQ(job["replica_leases"][0]["gpu_indices"].size(), 1u);
  EXPECT_EQ(job["replica_leases"][0]["price_per_hour"], "1.500000");
  auto shown = mesh.run({"og-scontrol", "show", "job", std::to_string(a)});
  EXPECT_NE(shown.out.find("TresPerNode=gres:gpu:h100:1"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find(" GRES=gpu(IDX:" + job["replica_leases"][0]["gpu_indices"][0].dump() + ")"), std::string::npos)
      << shown.out;
}

TEST_F(Gpus, SinfoShowsGresTheSlurmWayAndJsonTheDetails) {
  auto table = mesh.run({"og-sinfo", "-o", "%P %G"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(worker + " gpu:h100:2"), std::string::npos) << table.out;
  auto json = mesh.run({"og-sinfo", "--json"});
  auto parsed = nlohmann::json::parse(json.out);
  const auto& p = parsed["partitions"][0];
  EXPECT_EQ(p["cuda_version"], "12.4");
  EXPECT_EQ(p["driver_version"], "550.54.15");
  ASSERT_EQ(p["gpu_devices"].size(), 2u);
  EXPECT_EQ(p["gpu_devices"][1]["uuid"], "GPU-66666666-7777-8888-9999-000000000000");
  EXPECT_EQ(p["gpu_devices"][1]["memory_mb"], 81559);
  EXPECT_EQ(p["gpu_devices"][1]["compute_capability"], "9.0");
  EXPECT_EQ(p["gpu_devices"][1]["price_per_gpu_hour"], "1.500000");
  auto node = mesh.run({"og-scontrol", "show", "node", worker});
  EXPECT_NE(node.out.find("Gres=gpu:h100:2"), std::string::npos) << node.out;
  EXPECT_NE(node.out.find("GresUsed=gpu:h100:0(IDX:N/A)"), std::string::npos) << node.out;
  EXPECT_NE(node.out.find("AvailableFeatures=h100"), std::string::npos) << "models are features for -C: " << node.out;
}

TEST_F(Gpus, AJobAskingForAModelMemoryOrDriverNoOneHasWaitsNamingIt) {
  const std::string body = "#!/bin/sh\ntrue\n";
  struct Case {
    std::vector<std::string> args;
    std::string reason;
  } cases[] = {{{"--gres=gpu:a100:1"}, "GpusUnavailable:gpu:a100:1"},
               {{"--gpus=1", "--gpu-mem=96G"}, "GpusUnavailable:gpu:1,gpu-mem>=98304M"},
               {{"--gpus=1", "--cuda=12.8"}, "GpusUnavailable:gpu:1,cuda>=12.8"}};
  for (const auto& c : cases) {
    uint64_t id = submit("wants.sh", body, c.args);
    ASSERT_TRUE(await([&] { return mesh.job(id)["state_reason"] == c.reason; })) << mesh.job(id).dump();
    auto squeue = mesh.run({"og-squeue", "-j", std::to_string(id), "-h", "-o", "%R"});
    EXPECT_NE(squeue.out.find(c.reason), std::string::npos) << squeue.out;
    EXPECT_EQ(mesh.run({"og-scancel", std::to_string(id)}).exit_code, 0);
  }
  // What the provider has starts at once: 80G as GPUs are sold (an H100 80GB has 81559 MiB).
  uint64_t fits = submit("fits.sh", "#!/bin/sh\necho $SLURM_JOB_GPUS\n", {"--gres=gpu:h100:2", "--gpu-mem=80G", "--cuda=12.4"});
  EXPECT_EQ(mesh.finished_output(fits, submit_dir + "/fits.d"), "0,1\n");
}

// The devices cgroup (v1) refuses the GPUs a job was not given, even by a path outside its /dev.
TEST(GpuCgroup, AProcessInAJobsGroupCannotOpenAGpuItWasNotGiven) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: cgroups and device nodes need root";
  CgroupLayout layout = CgroupLayout::detect();
  if (!layout.v1.count("devices"))
    GTEST_SKIP() << "SKIPPED: no v1 devices controller on this host (cgroup v2 only): the jail's /dev alone hides other GPUs";
  Mesh scratch;  // only for its directory
  std::string dir = make_fake_gpus(scratch.dir() + "/gpus").dev_dir;
  CgroupLimits limits;
  limits.denied_devices = {"c 195:1"};
  {
    JobCgroup group(layout, "gpu-test-" + std::to_string(::getpid()), limits);
    EXPECT_TRUE(group.enforced().count("devices"));
    pid_t child = ::fork();
    if (child == 0) {
      for (const auto& file : group.procs_files()) std::ofstream(file) << ::getpid();
      int given = ::open((dir + "/nvidia0").c_str(), O_RDONLY), e0 = errno;
      int other = ::open((dir + "/nvidia1").c_str(), O_RDONLY), e1 = errno;
      // No driver behind fake nodes: ENXIO means allowed; EPERM, refused by the cgroup.
      ::_exit(given < 0 && e0 == ENXIO && other < 0 && e1 == EPERM ? 0 : 10 + (e1 == EPERM) + 2 * (e0 == ENXIO));
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10 + 1 (EPERM for the other) + 2 (ENXIO for its own)";
  }
}

}  // namespace
}  // namespace og::test
