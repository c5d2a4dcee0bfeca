// The training workload end to end: og-train under mpirun gives byte-identical models run
// after run and after a stop and resume, announces each checkpoint as a milestone, and the
// job script trains through a real mesh where two replicas agree on the model's hash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kMpiEnv = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                                          "OMPI_MCA_plm=^slurm", "OMPI_MCA_ras=^slurm"};
// A quick run: 2,048 training and 500 test images, 2 epochs of 32 steps.
const std::vector<std::string> kQuick = {"--train-limit", "2048", "--test-limit", "500", "--epochs", "2"};

bool have_training_inputs(std::string& why) {
  if (::access("/usr/bin/mpirun", X_OK) != 0) why = "Open MPI (openmpi-bin) is not installed";
  else if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    why = "dataset-fashion-mnist is not installed";
  return why.empty();
}

class Training : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!have_training_inputs(why)) GTEST_SKIP() << "SKIPPED: " << why;
  }
  // og-train on two ranks with `args`, writing into dir (created).
  CommandResult train(const std::string& dir, std::vector<std::string> args, const std::string& milestones = "") {
    fs::create_directories(dir);
    std::vector<std::string> argv = {"/usr/bin/mpirun", "--oversubscribe", "-np", "2", bin_path("og-train"),
                                     "--out", dir, "--milestones", milestones};
    argv.insert(argv.end(), kQuick.begin(), kQuick.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return mesh.exec(argv, kMpiEnv);
  }
  Mesh mesh;
};

TEST_F(Training, TwoRankRunsAreByteIdenticalAndAResumeEqualsAnUninterruptedRun) {
  std::string a = mesh.dir() + "/a", b = mesh.dir() + "/b", c = mesh.dir() + "/c", ms = mesh.dir() + "/ms";
  // Checkpoints every 10 steps: the interval numbers the milestones, so it is part of
  // the run's settings (and of its files), like the seed.
  auto first = train(a, {"--checkpoint-every", "10"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("2 MPI ranks"), std::string::npos) << first.out;
  ASSERT_EQ(train(b, {"--checkpoint-every", "10"}).exit_code, 0);
  for (const char* file : {"model.h5", "checkpoint.h5", "metrics.csv", "metrics.json", "curves.png"})
    EXPECT_EQ(read_file(a + "/" + file), read_file(b + "/" + file)) << file << " differs between two runs";
  EXPECT_EQ(read_file(a + "/model.h5").substr(0, 8), std::string("\x89HDF\r\n\x1a\n", 8));

  // Stopped mid-epoch 2, then resumed from checkpoint.h5.
  fs::create_directories(ms);
  auto stopped = train(c, {"--checkpoint-every", "10", "--stop-after", "45"}, ms);
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("stopped at step 45 of 64"), std::string::npos) << stopped.out;
  EXPECT_FALSE(fs::exists(c + "/model.h5"));
  // Milestones 1-4 (steps 10-40), each the checkpoint of its time; the last is the file.
  for (int k = 1; k <= 4; ++k) EXPECT_TRUE(fs::is_regular_file(ms + "/" + std::to_string(k))) << k;
  EXPECT_FALSE(fs::exists(ms + "/5"));
  EXPECT_EQ(read_file(ms + "/4"), read_file(c + "/checkpoint.h5"));
  EXPECT_NE(read_file(ms + "/3"), read_file(ms + "/4"));
  auto resumed = train(c, {"--checkpoint-every", "10", "--resume", "auto"}, ms);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resumed from " + c + "/checkpoint.h5 at step 40"), std::string::npos) << resumed.out;
  EXPECT_EQ(read_file(c + "/model.h5"), read_file(a + "/model.h5")) << "resumed run differs from uninterrupted";
  EXPECT_EQ(read_file(c + "/metrics.csv"), read_file(a + "/metrics.csv"));
  EXPECT_TRUE(fs::exists(ms + "/7"));  // steps 50, 60 and the end (64)
}

TEST_F(Training, BadSettingsGetClearErrors) {
  auto unknown = mesh.exec({"og-train", "--model", "resnet"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown model \"resnet\": choose mlp or cnn"), std::string::npos) << unknown.err;
  auto odd = train(mesh.dir() + "/odd", {"--batch", "33"});
  EXPECT_NE(odd.exit_code, 0);
  EXPECT_NE(odd.err.find("--batch 33 must be a positive multiple of the 2 ranks"), std::string::npos) << odd.err;
  auto inf = mesh.exec({"og-train", "--lr", "inf"});
  EXPECT_EQ(inf.exit_code, 2);
  EXPECT_NE(inf.err.find("--lr needs a finite number, not \"inf\""), std::string::npos) << inf.err;
  auto data = mesh.exec({"og-train", "--data", mesh.dir() + "/nowhere"});
  EXPECT_EQ(data.exit_code, 1);
  EXPECT_NE(data.err.find("nowhere"), std::string::npos) << data.err;
  // A checkpoint from other settings is refused, not silently continued.
  std::string d = mesh.dir() + "/d";
  ASSERT_EQ(train(d, {"--stop-after", "5", "--checkpoint-every", "5"}).exit_code, 0);
  auto other = train(d, {"--resume", "auto", "--seed", "9"});
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("different run (--seed was 1, now 9)"), std::string::npos) << other.err;
}

TEST_F(Training, NumbersOnlyLeavesOutWhatOnlyExactVotingCompares) {
  std::string dir = mesh.dir() + "/n";
  auto r = mesh.exec({"og-train", "--numbers-only", "--out", dir, "--train-limit", "256", "--test-limit", "50",
                      "--epochs", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir + "/model.h5"));
  EXPECT_TRUE(fs::exists(dir + "/metrics.csv"));
  EXPECT_FALSE(fs::exists(dir + "/metrics.json"));
  EXPECT_FALSE(fs::exists(dir + "/curves.png"));
}

TEST_F(Training, TheJobScriptTrainsOnTwoProvidersThatAgreeOnTheModel) {
  mesh.start_schedd();
  // Jailed workers where we can (root), as providers run them; else uncontained.
  for (uint32_t w = 0; w < 2; ++w) {
    std::vector<std::string> opts;
    if (::geteuid() == 0) {
      uint32_t first_uid = 3500000 + (static_cast<uint32_t>(::getpid()) % 10000) * 16 + w * 8;
      opts = {"--isolation", "jail", "--job-pids", "512", "--job-uids",
              std::to_string(first_uid) + "-" + std::to_string(first_uid + 7)};
    }
    mesh.start_worker(2, opts);
  }
  mesh.await_workers(2);
  std::string submit = mesh.dir() + "/submit";
  fs::create_directories(submit);
  fs::copy_file(bin_path("og-train"), submit + "/og-train");
  std::vector<std::string> argv = {"og-sbatch", "--wait", "--time=5", source_path("jobscripts/examples/train-fashion-mnist.sh")};
  argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  auto r = mesh.run(argv, "alice", submit);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  uint64_t id = std::stoull(r.out.substr(r.out.rfind(' ') + 1));

  nlohmann::json job = mesh.await_replicas_done(id, 2);
  EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
  std::set<std::string> partitions, roots;
  for (const auto& lease : job["replica_leases"]) {
    partitions.insert(lease["partition"].get<std::string>());
    roots.insert(lease["root"].get<std::string>());
  }
  EXPECT_EQ(partitions.size(), 2u);
  EXPECT_EQ(roots.size(), 1u) << "the two providers' models differ";
  // The accepted result came back: the model, metrics for both epochs, the plot.
  EXPECT_EQ(read_file(submit + "/model.h5").substr(0, 4), "\x89HDF");
  std::string csv = read_file(submit + "/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  EXPECT_EQ(read_file(submit + "/curves.png").substr(1, 3), "PNG");
}

}  // namespace
}  // namespace og::test
