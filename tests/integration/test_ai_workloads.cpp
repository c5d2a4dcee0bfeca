// The AI workloads of examples/ai as their job scripts run them: on two jailed providers
// that must agree byte for byte, with models staged by digest from a real registry.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/local_registry.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

const char* const kPython = "/usr/bin/python3";

class AiWorkloads : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Mesh shell;
    torch_ = shell.exec({kPython, "-c", "import torch, sentencepiece"}).exit_code == 0;
    work_ = fs::temp_directory_path() / ("og-ai-" + std::to_string(::getpid()));
    fs::create_directories(work_);
    if (torch_ && ::geteuid() == 0) registry_ = std::make_unique<LocalRegistry>(work_ + "/registry");
  }
  static void TearDownTestSuite() {
    registry_.reset();
    fs::remove_all(work_);
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the AI jobs run jailed, which needs root";
    if (!torch_) GTEST_SKIP() << "SKIPPED: python3-torch or python3-sentencepiece is not installed (scripts/install-deps.sh)";
  }

  // og-schedd and `count` jailed workers that may pull from the suite's registry.
  void start_mesh(int count) {
    mesh_.start_schedd();
    for (int i = 0; i < count; ++i)
      mesh_.start_worker(2, {"--isolation", "jail", "--allow-registry", "http://" + registry_->address});
    mesh_.await_workers(count);
  }

  // The suite's random-weight Llama, made and pushed to its registry once; "" on failure.
  std::string test_model() {
    std::string model = work_ + "/llama";
    if (fs::exists(model + "/config.json")) return model;
    auto made = mesh_.exec({kPython, source_path("examples/ai/make_test_llama.py"), model});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    auto pushed = mesh_.exec({bin_path("og-data"), "push", model, registry_->address + "/og-test/llama:1"});
    EXPECT_EQ(pushed.exit_code, 0) << pushed.err;
    if (made.exit_code != 0 || pushed.exit_code != 0) fs::remove_all(model);
    return made.exit_code == 0 && pushed.exit_code == 0 ? model : "";
  }

  // A submission directory holding ai/, as the job scripts' comments ask.
  std::string submit_dir() {
    std::string dir = mesh_.dir() + "/submit";
    fs::create_directories(dir + "/ai");
    for (const auto& entry : fs::directory_iterator(source_path("examples/ai")))
      if (entry.is_regular_file()) fs::copy_file(entry.path(), dir + "/ai/" + entry.path().filename().string());
    return dir;
  }

  // og-sbatch --wait SCRIPT ARGS in dir; the finished job once both replicas are done.
  nlohmann::json run_job(const std::string& dir, const std::vector<std::string>& options, const std::string& script,
                         const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"og-sbatch", "--wait"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(source_path("jobscripts/examples/" + script));
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = mesh_.run(argv, "alice", dir);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    if (r.exit_code != 0) return {};
    uint64_t id = std::stoull(r.out.substr(r.out.rfind(' ') + 1));
    return mesh_.await_replicas_done(id, 2);
  }

  // The replicas ran on two providers and left the same outputs.
  static void expect_two_providers_agree(const nlohmann::json& job) {
    EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
    std::set<std::string> partitions, roots;
    for (const auto& lease : job["replica_leases"]) {
      partitions.insert(lease["partition"].get<std::string>());
      roots.insert(lease["root"].get<std::string>());
    }
    EXPECT_EQ(partitions.size(), 2u) << job.dump();
    EXPECT_EQ(roots.size(), 1u) << "the replicas' outputs differ: " << job.dump();
  }

  static std::vector<nlohmann::json> json_lines(const std::string& path) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  Mesh mesh_;
  static inline bool torch_ = false;
  static inline std::string work_;
  static inline std::unique_ptr<LocalRegistry> registry_;
};

TEST_F(AiWorkloads, AnLlmAnswersInTheSameTokensOnTwoProvidersAsOutsideTheMesh) {
  std::string model = test_model();
  ASSERT_FALSE(model.empty());
  start_mesh(2);
  std::string dir = submit_dir();
  std::ofstream(dir + "/prompts.txt") << "The quick brown fox\nWhat is free software?\n\nHello\n";
  auto job = run_job(dir, {"--data=model=" + registry_->address + "/og-test/llama:1"}, "llm-inference.sh",
                     {"--max-new-tokens", "12"});
  expect_two_providers_agree(job);

  auto answers = json_lines(dir + "/answers.jsonl");
  ASSERT_EQ(answers.size(), 3u) << "one answer per prompt, blank lines skipped";
  EXPECT_EQ(answers[1]["prompt"], "What is free software?");
  for (const auto& a : answers) EXPECT_EQ(a["tokens"].size(), 12u) << a.dump();
  // The same program on the same model outside OpenGrid, with the job's kernels and
  // threads, gives the same tokens.
  auto direct = mesh_.exec({"/bin/bash", "-c",
                            "source ai/job-setup.sh && exec " + std::string(kPython) +
                                " ai/llm_generate.py --threads 2 --model " + model + " --prompts prompts.txt --out " +
                                work_ + "/direct.jsonl --max-new-tokens 12"},
                           {}, dir);
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(read_file(dir + "/answers.jsonl"), read_file(work_ + "/direct.jsonl"));
}

TEST_F(AiWorkloads, SampledLlmAnswersAreAcceptedByAValidatorsScores) {
  ASSERT_FALSE(test_model().empty());
  mesh_.start_schedd({"--second-opinion", "0"});
  std::string registry = "http://" + registry_->address;
  for (int i = 0; i < 2; ++i) mesh_.start_worker(2, {"--isolation", "jail", "--allow-registry", registry});
  std::string validator = mesh_.start_worker(2, {"--validator", "--isolation", "jail", "--allow-registry", registry});
  mesh_.await_workers(3);
  std::string dir = submit_dir();
  std::ofstream(dir + "/prompts.txt") << "The quick brown fox\nWhat is free software?\nHello\n";
  // The test model's weights are random: its own answers score a few hundredths, random
  // tokens under 0.01 (tests/ai/test_llama.py), so the threshold is set for it.
  auto r = mesh_.run({"og-sbatch", "--parsable", "--wait", "--verify=score:ai/score-llm.sh:0.01",
                      "--data=model=" + registry_->address + "/og-test/llama:1",
                      source_path("jobscripts/examples/llm-sample.sh"), "--max-new-tokens", "12"},
                     "alice", dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  uint64_t id = std::stoull(r.out);
  nlohmann::json job;
  ASSERT_TRUE(await([&] { return (job = mesh_.job(id)).value("settled", false); })) << job.dump();
  EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
  ASSERT_EQ(job["replica_leases"].size(), 2u);
  EXPECT_NE(job["replica_leases"][0]["root"], job["replica_leases"][1]["root"]) << "sampled with seeds of their own";
  ASSERT_EQ(job["validations"].size(), 1u) << job.dump();
  EXPECT_EQ(job["validations"][0]["partition"], validator);
  for (const auto& lease : job["replica_leases"]) {
    double score = job["validations"][0]["scores"][std::to_string(lease["lease_id"].get<uint64_t>())];
    EXPECT_GE(score, 0.01) << "the model's own samples: " << job.dump();
    EXPECT_LE(score, 1.0);
  }
  auto answers = json_lines(dir + "/answers.jsonl");
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& a : answers) EXPECT_EQ(a["tokens"].size(), 12u) << a.dump();
}

TEST_F(AiWorkloads, PytorchTrainingAgreesOnTwoProvidersAndHasEachCheckpointVerified) {
  start_mesh(2);
  std::string dir = submit_dir();
  // 1024 images in batches of 64: 16 steps an epoch, 32 in all, a checkpoint every 8.
  auto job = run_job(dir, {}, "train-pytorch-mnist.sh",
                     {"--train-limit", "1024", "--test-limit", "200", "--epochs", "2", "--checkpoint-every", "8"});
  expect_two_providers_agree(job);
  EXPECT_EQ(job["checkpoint_milestone"], 4) << "every checkpoint a verified milestone: " << job.dump();
  std::string csv = read_file(dir + "/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  EXPECT_EQ(read_file(dir + "/model.safetensors").size() > 200'000, true);
  EXPECT_FALSE(fs::exists(dir + "/ai/__pycache__")) << "nothing but the results comes back";
}

TEST_F(AiWorkloads, PytorchTrainingResumesOnAnotherProviderFromTheVerifiedCheckpoint) {
  // Uncontained workers: the job signals through files of the test's, which a jail hides.
  mesh_.start_schedd({"--heartbeat-timeout-ms", "1500"});
  for (int i = 0; i < 2; ++i) mesh_.start_worker(2);
  mesh_.await_workers(2);
  std::string dir = submit_dir();
  // The trainer stops after its first checkpoint (milestone 1) and waits; a replica handed
  // that checkpoint says so, outside its job directory (its outputs stay the same).
  std::string flag = mesh_.dir() + "/go", resumes = mesh_.dir() + "/resumes";
  std::string args = "--train-limit 1024 --test-limit 200 --epochs 2 --checkpoint-every 8";
  std::string script = mesh_.write_script(
      "resume.sh", "#!/bin/bash\n#SBATCH --cpus-per-task=2 --time=5\n#OG --replicas=2\n#OG --input=ai\n"
                   "#OG --exclude-stdio\nset -e\nsource ai/job-setup.sh\n"
                   "python3 ai/mnist_train.py " + args + " --stop-after 8\n"
                   "if [ -n \"$OG_RESUME_CHECKPOINT\" ]; then echo $OG_RESUME_MILESTONE >>" + resumes + "; fi\n"
                   "while [ ! -e " + flag + " ]; do sleep 0.05; done\n"
                   "python3 ai/mnist_train.py " + args + "\n");
  uint64_t id = mesh_.sbatch({script}, dir);
  ASSERT_TRUE(await([&] { return mesh_.job(id)["checkpoint_milestone"] == 1; }, std::chrono::seconds(60)))
      << mesh_.job(id).dump();
  std::string spare = mesh_.start_worker(2);
  std::string lost = mesh_.job(id)["replica_leases"][0]["partition"];
  mesh_.kill_worker(lost);
  ASSERT_TRUE(await([&] { return read_file(resumes) == "1\n"; }, std::chrono::seconds(60)))
      << "the replacement was not handed checkpoint 1: " << read_file(resumes);
  std::ofstream(flag) << "go";
  auto job = mesh_.await_replicas_done(id, 2);
  EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
  std::set<std::string> roots, partitions;
  for (const auto& lease : job["replica_leases"])
    if (lease["state"] == "DONE") roots.insert(lease["root"].get<std::string>()), partitions.insert(lease["partition"]);
  EXPECT_EQ(roots.size(), 1u) << "the resumed replica's model differs from the one never moved";
  EXPECT_TRUE(partitions.count(spare)) << job.dump();
  EXPECT_EQ(job["checkpoint_milestone"], 4);
}

TEST_F(AiWorkloads, BlenderFramesRenderedOnTwoProvidersAgreeByTheirPixels) {
  Mesh shell;
  if (shell.exec({"/bin/sh", "-c", "command -v blender"}).exit_code != 0)
    GTEST_SKIP() << "SKIPPED: blender is not installed (scripts/install-deps.sh)";
  start_mesh(2);
  std::string dir = submit_dir();
  // Three frames of a turn, small and few samples: the scene and the path of a full render.
  auto r = mesh_.run({"og-sbatch", "--wait", "--array=0-2", source_path("jobscripts/examples/render-blender.sh"),
                      "--samples", "4", "--size", "96x54"},
                     "alice", dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  uint64_t array_id = std::stoull(r.out.substr(r.out.rfind(' ') + 1));
  auto jobs = mesh_.client().call("GET", "/og/v1/jobs")["jobs"];
  int tasks = 0;
  for (const auto& listed : jobs) {
    if (listed["array_job_id"] != array_id) continue;
    ++tasks;
    auto job = mesh_.await_replicas_done(listed["job_id"].get<uint64_t>(), 2);
    EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
    std::set<std::string> partitions;
    for (const auto& lease : job["replica_leases"]) partitions.insert(lease["partition"].get<std::string>());
    EXPECT_EQ(partitions.size(), 2u) << job.dump();
  }
  EXPECT_EQ(tasks, 3);
  for (const char* frame : {"frame-0001.png", "frame-0002.png", "frame-0003.png"})
    EXPECT_EQ(read_file(dir + "/" + frame).substr(1, 3), "PNG") << frame;
  std::set<std::string> back;
  for (const auto& entry : fs::directory_iterator(dir)) back.insert(entry.path().filename().string());
  EXPECT_EQ(back, (std::set<std::string>{"ai", "frame-0001.png", "frame-0002.png", "frame-0003.png"}))
      << "Blender left nothing else among the outputs";
  // Assembled where they came back: a contact sheet and an animated PNG of three frames.
  auto assembled = mesh_.exec({kPython, dir + "/ai/assemble_frames.py", "frame-0001.png", "frame-0002.png",
                               "frame-0003.png"},
                              {}, dir);
  ASSERT_EQ(assembled.exit_code, 0) << assembled.err;
  EXPECT_NE(assembled.out.find("3 frames of 96x54"), std::string::npos) << assembled.out;
  EXPECT_NE(read_file(dir + "/turn.png").find("acTL"), std::string::npos) << "not an animated PNG";
}

TEST_F(AiWorkloads, AJobReadsAnEarlierJobsAcceptedResultOnlyItsOwnAndOnlyOnceAccepted) {
  start_mesh(2);
  // Held until the refusals below are seen: not accepted before then, however slow the machine.
  std::string first = mesh_.write_script("first.sh", "#!/bin/bash\n#OG --replicas=2\n"
                                                     "mkdir -p out && echo 'the result' >out/result.txt\n");
  uint64_t id = mesh_.sbatch({"--hold", first}, mesh_.dir());
  std::string ref = "--data=prev=job:" + std::to_string(id);
  std::string second = mesh_.write_script("second.sh", "#!/bin/bash\ncat /data/prev/out/result.txt\n"
                                                       "touch /data/prev/x 2>/dev/null && echo writable || echo read-only\n");
  // Before it is accepted, only a job that waits for its success may read it.
  auto early = mesh_.run({"og-sbatch", ref, second}, "alice", mesh_.dir());
  EXPECT_NE(early.exit_code, 0);
  EXPECT_NE(early.err.find("add --dependency=afterok:" + std::to_string(id)), std::string::npos) << early.err;
  // Nobody else's, ever.
  auto other = mesh_.run({"og-sbatch", ref, "-d", "afterok:" + std::to_string(id), second}, "bob", mesh_.dir());
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("you have no job " + std::to_string(id)), std::string::npos) << other.err;

  uint64_t reader = mesh_.sbatch({ref, "-d", "afterok:" + std::to_string(id), second}, mesh_.dir());
  ASSERT_EQ(mesh_.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  EXPECT_EQ(mesh_.finished_output(reader, mesh_.dir() + "/fetched"), "the result\nread-only\n");
  // Accepted now: no dependency needed; and what the reader was given is gone from its worker.
  uint64_t later = mesh_.sbatch({ref, second}, mesh_.dir());
  EXPECT_EQ(mesh_.finished_output(later, mesh_.dir() + "/later"), "the result\nread-only\n");
  for (const auto& w : {"worker-1", "worker-2"})
    EXPECT_TRUE(fs::is_empty(mesh_.dir() + "/" + w + "/results")) << w;
  // A job that failed has no result to read; an array's id names no one result.
  uint64_t failed = mesh_.sbatch({mesh_.write_script("failed.sh", "#!/bin/bash\nexit 3\n")}, mesh_.dir());
  mesh_.wait_job(failed);
  auto none = mesh_.run({"og-sbatch", "--data=prev=job:" + std::to_string(failed), second}, "alice", mesh_.dir());
  EXPECT_NE(none.err.find("ended without a result to read (FAILED)"), std::string::npos) << none.err;
  uint64_t array = mesh_.sbatch({"--array=0-1", "--hold", second}, mesh_.dir());
  auto whole = mesh_.run({"og-sbatch", "--data=prev=job:" + std::to_string(array), second}, "alice", mesh_.dir());
  EXPECT_NE(whole.err.find("names an array"), std::string::npos) << whole.err;
}

TEST_F(AiWorkloads, ADiffusionModelTrainedThenSampledByAnArrayThatWaitsForIt) {
  start_mesh(2);
  std::string dir = submit_dir();
  auto train = mesh_.run({"og-sbatch", "--parsable", source_path("jobscripts/examples/ddpm-train.sh"), "--steps",
                          "8", "--batch", "16", "--channels", "8", "--train-limit", "256", "--checkpoint-every", "4",
                          "--log-every", "4"},
                         "alice", dir);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  std::string id = train.out.substr(0, train.out.find_first_not_of("0123456789"));
  auto sample = mesh_.run({"og-sbatch", "--wait", "--array=0-1", "--dependency=afterok:" + id, "--data=ddpm=job:" + id,
                           source_path("jobscripts/examples/ddpm-sample.sh"), "--count", "2", "--steps", "3"},
                          "alice", dir);
  ASSERT_EQ(sample.exit_code, 0) << sample.out << sample.err;
  auto trained = mesh_.await_replicas_done(std::stoull(id), 2);
  expect_two_providers_agree(trained);
  EXPECT_EQ(trained["checkpoint_milestone"], 2) << "each checkpoint a verified milestone";
  for (const char* png : {"samples-0.png", "samples-1.png"})
    EXPECT_EQ(read_file(dir + "/" + png).substr(1, 3), "PNG") << png;
  EXPECT_NE(read_file(dir + "/samples-0.png"), read_file(dir + "/samples-1.png"));
}

}  // namespace
}  // namespace og::test
