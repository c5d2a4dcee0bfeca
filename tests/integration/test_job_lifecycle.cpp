// A job's life through the real binaries: og-sbatch → og-schedd → og-worker and back.
#include <gtest/gtest.h>

#include <thread>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/integration/fake_provider.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

class JobLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    mesh.start_schedd();
    for (int i = 0; i < 3; ++i) mesh.start_worker(2);
    mesh.await_workers(3);
  }
  uint64_t submit(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"og-sbatch", "--parsable"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = mesh.run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::stoull(r.out);
  }
  Mesh mesh;
};

TEST_F(JobLifecycle, ReplicatedJobCompletesWithIdenticalOutputsBroughtHome) {
  std::string submit_dir = mesh.dir() + "/submit";
  fs::create_directories(submit_dir);
  auto r = mesh.run({"og-sbatch", "--wait", source_path("jobscripts/examples/hello.sh")}, "alice",
                    submit_dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.rfind("Submitted batch job ", 0), 0u) << r.out;
  uint64_t id = std::stoull(r.out.substr(20));
  std::string out = read_file(submit_dir + "/hello-" + std::to_string(id) + ".out");
  EXPECT_NE(out.find("Found 2262 primes below 20000"), std::string::npos) << out;
  EXPECT_EQ(read_file(submit_dir + "/result.txt"), "primes below 20000: 2262\n");

  // The job completes at quorum (2 of 3); the third replica still reports and is checked.
  nlohmann::json job = mesh.await_replicas_done(id, 3);
  EXPECT_EQ(job["job_state"], "COMPLETED");
  EXPECT_EQ(job["exit_code"], 0);
  ASSERT_EQ(job["replica_leases"].size(), 3u);
  std::set<std::string> partitions, roots;
  for (const auto& lease : job["replica_leases"]) {
    partitions.insert(lease["partition"].get<std::string>());
    roots.insert(lease["root"].get<std::string>());
  }
  EXPECT_EQ(partitions.size(), 3u) << "replicas must run on distinct providers";
  EXPECT_EQ(roots.size(), 1u) << "the three replicas must agree";
  EXPECT_EQ(*roots.begin(), job["canonical_root"]);
}

TEST_F(JobLifecycle, WaitShowsEachChangeOfStateAsItHappens) {
  // Held first: the waiting client sees it pending, then running once released, then done.
  std::string script = mesh.write_script("slow.sh", "#!/bin/bash\n#SBATCH --hold\nsleep 1\n");
  std::string submit_dir = mesh.dir() + "/w";
  fs::create_directories(submit_dir);
  mesh.token("alice");  // before the second thread uses the mesh too
  std::thread release([&] {
    await([&] {
      try {
        return mesh.job(1)["job_state"] == "PENDING";
      } catch (const std::exception&) {
        return false;  // not submitted yet
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the client show PENDING first
    mesh.client("alice").call("POST", "/og/v1/jobs/1/release");  // not mesh.run: it shares capture files
  });
  auto r = mesh.run({"og-sbatch", "--wait", script}, "alice", submit_dir);
  release.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t pending = r.err.find("og-sbatch: job 1 PENDING (JobHeldUser)");
  size_t running = r.err.find("og-sbatch: job 1 RUNNING on worker-");
  size_t completed = r.err.find("og-sbatch: job 1 COMPLETED");
  ASSERT_NE(pending, std::string::npos) << r.err;
  ASSERT_NE(running, std::string::npos) << r.err;
  ASSERT_NE(completed, std::string::npos) << r.err;
  EXPECT_LT(pending, running);
  EXPECT_LT(running, completed);
  EXPECT_EQ(r.out, "Submitted batch job 1\n");  // stdout as sbatch's
}

TEST_F(JobLifecycle, SlurmVariablesReachTheScript) {
  std::string script = mesh.write_script("env.sh",
                                         "#!/bin/bash\n#SBATCH -J envcheck\n#SBATCH -n 2 -c 1\n"
                                         "#SBATCH --export=GREETING=hi\n"
                                         "echo \"$SLURM_JOB_ID $SLURM_JOB_NAME $SLURM_NTASKS "
                                         "$SLURM_CPUS_PER_TASK $GREETING\"\n"
                                         "echo \"$SLURM_JOB_PARTITION\" > partition.txt\n"
                                         "[ \"$PWD\" = \"$SLURM_SUBMIT_DIR\" ] && echo same-dir\n");
  uint64_t id = submit({script});
  auto job = mesh.wait_job(id);
  ASSERT_EQ(job["job_state"], "COMPLETED");
  auto out = mesh.client().request("GET", "/og/v1/jobs/" + std::to_string(id) + "/files/slurm-" +
                                              std::to_string(id) + ".out");
  EXPECT_EQ(out.body, std::to_string(id) + " envcheck 2 1 hi\nsame-dir\n");
}

TEST_F(JobLifecycle, AScriptOnStdinOrMadeByWrapRunsAsWithSbatch) {
  std::string dir = mesh.dir() + "/wrap";
  fs::create_directories(dir);
  auto wrapped = mesh.run({"og-sbatch", "--wait", "--parsable", "-n2", "--wrap", "echo $SLURM_JOB_NAME $SLURM_NTASKS"},
                          "alice", dir);
  ASSERT_EQ(wrapped.exit_code, 0) << wrapped.err;
  std::string id = wrapped.out.substr(0, wrapped.out.find_first_of(";\n"));
  EXPECT_EQ(read_file(dir + "/slurm-" + id + ".out"), "wrap 2\n");

  std::string script = mesh.write_script("piped.sh", "#!/bin/bash\n#SBATCH -J piped\necho \"$SLURM_JOB_NAME\"\n");
  auto piped = mesh.run({"/bin/sh", "-c", bin_path("og-sbatch") + " --wait --parsable < " + script}, "alice", dir);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  id = piped.out.substr(0, piped.out.find_first_of(";\n"));
  EXPECT_EQ(read_file(dir + "/slurm-" + id + ".out"), "piped\n");

  auto both = mesh.run({"og-sbatch", "--wrap=true", script}, "alice", dir);
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_NE(both.err.find("and --wrap: give one or the other"), std::string::npos) << both.err;
}

TEST_F(JobLifecycle, NonZeroExitIsFailedAndWaitReturnsTheCode) {
  auto r = mesh.run({"og-sbatch", "--wait", source_path("jobscripts/examples/fail.sh")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  uint64_t id = std::stoull(r.out.substr(20));
  auto job = mesh.job(id);
  EXPECT_EQ(job["job_state"], "FAILED");
  EXPECT_EQ(job["exit_code"], 3);
  auto sacct = mesh.run({"og-sacct", "-j", std::to_string(id), "-n"});
  EXPECT_NE(sacct.out.find("FAILED"), std::string::npos) << sacct.out;
  EXPECT_NE(sacct.out.find("3:0"), std::string::npos) << sacct.out;
}

TEST_F(JobLifecycle, CancelKillsTheRunningProcessTree) {
  std::string pid_file = mesh.dir() + "/job.pid";
  std::string script = mesh.write_script(
      "long.sh", "#!/bin/bash\n#SBATCH -t 5\n(sleep 300; echo child) &\necho $! > " + pid_file +
                     "\nsleep 300\n");
  uint64_t id = submit({script});
  ASSERT_TRUE(await([&] { return fs::exists(pid_file) && fs::file_size(pid_file) > 0; }));
  pid_t child = std::stoi(read_file(pid_file));
  ASSERT_EQ(kill(child, 0), 0);
  auto r = mesh.run({"og-scancel", std::to_string(id)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mesh.job(id)["job_state"], "CANCELLED");
  EXPECT_TRUE(await([&] { return kill(child, 0) != 0; })) << "background child survived cancel";
  // Cancelling again is an error a user can read.
  auto again = mesh.run({"og-scancel", std::to_string(id)});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("already finished"), std::string::npos) << again.err;
}

TEST_F(JobLifecycle, CancelPendingJobsByUser) {
  std::string script = mesh.write_script("later.sh", "#!/bin/bash\n#SBATCH --begin=now+1hour\ntrue\n");
  uint64_t a = submit({script});
  uint64_t b = submit({script});
  EXPECT_TRUE(mesh.await_state(a, "PENDING"));
  auto squeue = mesh.run({"og-squeue", "-j", std::to_string(a)});
  EXPECT_NE(squeue.out.find("(BeginTime)"), std::string::npos) << squeue.out;
  auto r = mesh.run({"og-scancel", "-u", "alice"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mesh.job(a)["job_state"], "CANCELLED");
  EXPECT_EQ(mesh.job(b)["job_state"], "CANCELLED");
}

TEST_F(JobLifecycle, TimeLimitEndsTheJobAsTimeout) {
  // A one-second limit through the API (seconds are its unit; #SBATCH rounds up to minutes
  // as Slurm does, which would make this test a minute long).
  auto start = std::chrono::steady_clock::now();
  uint64_t id = mesh.client().call("POST", "/og/v1/jobs", job_body("#!/bin/bash\nsleep 300\n", {{"time_limit_s", 1}}))["job_id"];
  auto job = mesh.wait_job(id);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(job["job_state"], "TIMEOUT");
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(JobLifecycle, ArrayTasksGetTheirOwnIdsAndOutputs) {
  auto r = mesh.run({"og-sbatch", "--wait", source_path("jobscripts/examples/array.sh")}, "alice",
                    mesh.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t array_id = std::stoull(r.out.substr(20));
  for (int task = 0; task < 4; ++task) {
    std::string out = read_file(mesh.dir() + "/array-" + std::to_string(array_id) + "_" +
                                std::to_string(task) + ".out");
    EXPECT_NE(out.find("array task " + std::to_string(task)), std::string::npos) << out;
  }
  auto squeue = mesh.run({"og-squeue", "-j", std::to_string(array_id), "-h", "-o", "%i %T"});
  EXPECT_NE(squeue.out.find(std::to_string(array_id) + "_3 COMPLETED"), std::string::npos)
      << squeue.out;
}

TEST_F(JobLifecycle, HeldJobWaitsUntilReleased) {
  std::string script = mesh.write_script("held.sh", "#!/bin/bash\n#SBATCH --hold\necho ok\n");
  uint64_t id = submit({script});
  auto squeue = mesh.run({"og-squeue", "-h", "-j", std::to_string(id), "-o", "%t %R"});
  EXPECT_EQ(squeue.out, "PD (JobHeldUser)\n");
  EXPECT_EQ(mesh.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  EXPECT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
}

TEST_F(JobLifecycle, JsonOutputsFollowSlurmrestdShapes) {
  uint64_t id = submit({source_path("jobscripts/examples/fail.sh")});
  mesh.wait_job(id);
  auto squeue = nlohmann::json::parse(mesh.run({"og-squeue", "--json", "-j", std::to_string(id)}).out);
  ASSERT_EQ(squeue["jobs"].size(), 1u);
  EXPECT_EQ(squeue["jobs"][0]["job_id"], id);
  EXPECT_EQ(squeue["jobs"][0]["job_state"], "FAILED");
  auto sinfo = nlohmann::json::parse(mesh.run({"og-sinfo", "--json"}).out);
  EXPECT_EQ(sinfo["partitions"].size(), 3u);
  EXPECT_EQ(sinfo["partitions"][0]["cpus"], 2);
  auto sacct = nlohmann::json::parse(mesh.run({"og-sacct", "--json", "-j", std::to_string(id)}).out);
  ASSERT_EQ(sacct["jobs"].size(), 1u);
  EXPECT_EQ(sacct["jobs"][0]["exit_code"], 3);
}

TEST_F(JobLifecycle, TestOnlySaysWhereWithoutSubmitting) {
  auto r = mesh.run({"og-sbatch", "--test-only", source_path("jobscripts/examples/hello.sh")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(" (now) on "), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line, as sbatch --test-only: " << r.err;
  EXPECT_EQ(mesh.client().call("GET", "/og/v1/jobs")["jobs"].size(), 0u);
}

TEST_F(JobLifecycle, AJobOfSeveralNodesIsSizedAsSlurmSizesItAndNeverShrunk) {
  // 3 nodes x 2 tasks x 5 CPUs: 6 tasks, 30 CPUs — not 1 task of 5 CPUs on one machine.
  std::string script = mesh.write_script("wide.sh", "#!/bin/bash\n#SBATCH -N3 --ntasks-per-node=2 -c5\ntrue\n");
  auto test_only = mesh.run({"og-sbatch", "--test-only", script});
  EXPECT_NE(test_only.err.find("PartitionNodeLimit"), std::string::npos) << test_only.err;
  EXPECT_NE(test_only.err.find("it asks for 3 nodes; the most a partition offers is 1"), std::string::npos)
      << test_only.err;
  // Each provider here is one machine: refused at once, saying why, as sbatch refuses a
  // job no node could run — never shrunk onto one machine, never left waiting for ever.
  auto refused = mesh.run({"og-sbatch", script});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("no partition can ever hold this job: it asks for 3 nodes"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("it asks for 30 CPUs; the most a partition offers is 2"), std::string::npos)
      << "sized as Slurm sizes it: " << refused.err;
  EXPECT_EQ(mesh.client().call("GET", "/og/v1/jobs")["jobs"].size(), 0u);
}

TEST_F(JobLifecycle, InvalidDirectiveIsRefusedWithItsLocation) {
  std::string script = mesh.write_script("bad.sh", "#!/bin/bash\n#SBATCH -J ok\n#SBATCH --time=1:2:3:4\ntrue\n");
  auto r = mesh.run({"og-sbatch", script});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.sh:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--time"), std::string::npos) << r.err;
}

TEST_F(JobLifecycle, UnsupportedSlurmOptionsWarnButRun) {
  std::string script = mesh.write_script(
      "mail.sh", "#!/bin/bash\n#SBATCH --mail-type=END\n#SBATCH --signal=USR1@60\necho fine\n");
  auto r = mesh.run({"og-sbatch", "--wait", script});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("--mail-type"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--signal"), std::string::npos) << r.err;
}


TEST_F(JobLifecycle, DependencyChainsJobsThroughTheCli) {
  std::string flag = mesh.dir() + "/release";
  std::string first = mesh.write_script("first.sh", "#!/bin/bash\nwhile [ ! -e " + flag +
                                                        " ]; do sleep 0.05; done\necho first > order.txt\n");
  uint64_t a = submit({first});
  uint64_t b = submit({"--dependency=afterok:" + std::to_string(a),
                       source_path("jobscripts/examples/fail.sh")});
  ASSERT_TRUE(mesh.await_state(a, "RUNNING"));
  auto squeue = mesh.run({"og-squeue", "-h", "-j", std::to_string(b), "-o", "%t %R"});
  EXPECT_EQ(squeue.out, "PD (Dependency)\n");
  std::ofstream(flag) << "go";
  EXPECT_EQ(mesh.wait_job(a)["job_state"], "COMPLETED");
  EXPECT_EQ(mesh.wait_job(b)["job_state"], "FAILED");  // it ran: fail.sh exits 3
  auto r = mesh.run({"og-sbatch", "-d", "afterok:424242", source_path("jobscripts/examples/fail.sh")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}


TEST_F(JobLifecycle, SprioShowsPendingJobsWithTheirFactors) {
  std::string big = mesh.write_script("later.sh", "#!/bin/bash\n#SBATCH --begin=now+1hour\ntrue\n");
  uint64_t a = submit({big});
  uint64_t b = submit({"--nice=50", big});
  ASSERT_TRUE(mesh.await_state(b, "PENDING"));
  auto json = nlohmann::json::parse(mesh.run({"og-sprio", "--json"}).out);
  ASSERT_EQ(json["jobs"].size(), 2u);
  EXPECT_EQ(json["jobs"][0]["job_id"], a) << "the nicer job ranks lower";
  EXPECT_EQ(json["jobs"][1]["factors"]["nice"], 50);
  auto table = mesh.run({"og-sprio"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("FAIRSHARE"), std::string::npos) << table.out;
}


TEST_F(JobLifecycle, ScontrolUpdateAndRequeue) {
  std::string starts = mesh.dir() + "/runs.txt";
  std::string script = mesh.write_script("rq.sh", "#!/bin/bash\n#SBATCH --hold\necho run >> " + starts +
                                                      "\nexec sleep 300\n");
  uint64_t id = submit({script});
  auto r = mesh.run({"og-scontrol", "update", "JobId=" + std::to_string(id), "TimeLimit=2:00", "Nice=7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto job = mesh.job(id);
  EXPECT_EQ(job["time_limit_s"], 120);
  EXPECT_EQ(job["nice"], 7);
  ASSERT_EQ(mesh.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  ASSERT_TRUE(await([&] { return read_file(starts) == "run\n"; }));
  r = mesh.run({"og-scontrol", "requeue", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(await([&] { return read_file(starts) == "run\nrun\n"; })) << "the job ran again";
  EXPECT_EQ(mesh.job(id)["requeue_count"], 1);
  EXPECT_EQ(mesh.run({"og-scancel", std::to_string(id)}).exit_code, 0);
}


TEST_F(JobLifecycle, FetchBringsTheAcceptedResultAndVerifyChecksIt) {
  std::string script = mesh.write_script("out.sh", "#!/bin/bash\n#SBATCH --replicas=2\nmkdir -p sub\necho 42 >sub/answer.txt\n");
  uint64_t id = submit({script});
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  std::string where = mesh.dir() + "/fetched";
  auto fetch = mesh.run({"og-fetch", "-D", where, std::to_string(id)});
  ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
  EXPECT_NE(fetch.out.find("of the accepted result"), std::string::npos) << fetch.out;
  std::ifstream answer(where + "/sub/answer.txt");
  std::string line;
  std::getline(answer, line);
  EXPECT_EQ(line, "42");
  auto ok = mesh.run({"og-verify", where, std::to_string(id)});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("verified:"), std::string::npos) << ok.out;
  std::ofstream(where + "/sub/answer.txt") << "43\n";  // tampered with
  auto bad = mesh.run({"og-verify", where, std::to_string(id)});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("differs   sub/answer.txt"), std::string::npos) << bad.out;
  EXPECT_NE(mesh.run({"og-verify", where, "4x"}).exit_code, 0);
}


TEST_F(JobLifecycle, FetchShowsAProgressBarOnATerminalOnly) {
  std::string script = mesh.write_script(
      "big.sh", "#!/bin/bash\nhead -c 3145728 /dev/zero >big.bin\necho odd >'a b?%.txt'\n");
  uint64_t id = submit({script});
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  // On a terminal (script(1) gives og-fetch a pty): a bar for the 3 MiB file, up to 100%.
  mesh.token("alice");
  std::string where = mesh.dir() + "/tty";
  auto tty = mesh.exec({"/usr/bin/script", "-qec", bin_path("og-fetch") + " -D " + where + " " + std::to_string(id), "/dev/null"},
                       {"OG_SCHEDD_URL=" + mesh.url(), "OG_TOKEN_FILE=" + mesh.dir() + "/alice.token"});
  ASSERT_EQ(tty.exit_code, 0) << tty.out << tty.err;
  EXPECT_NE(tty.out.find("big.bin  [==============================] 100%  3.0/3.0 MiB"), std::string::npos) << tty.out;
  EXPECT_EQ(tty.out.find("slurm-"), std::string::npos) << "small files fetch without a bar: " << tty.out;
  EXPECT_EQ(std::filesystem::file_size(where + "/big.bin"), 3145728u);
  EXPECT_EQ(read_file(where + "/a b?%.txt"), "odd\n") << "a name that needs percent-encoding";
  // Not on a terminal: no bar.
  auto plain = mesh.run({"og-fetch", "-D", mesh.dir() + "/plain", std::to_string(id)});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.err.find("MiB"), std::string::npos) << plain.err;
}

TEST_F(JobLifecycle, ExcludeStdioLetsReplicasThatPrintTheirHostAgree) {
  std::string body = "echo \"running on $SLURM_JOB_PARTITION\"\necho 42 >answer.txt\n";
  std::string chatty = mesh.write_script("chatty.sh", "#!/bin/bash\n#SBATCH --replicas=2\n" + body);
  std::string quiet = mesh.write_script("quiet.sh", "#!/bin/bash\n#SBATCH --replicas=2\n#OG --exclude-stdio\n" + body);
  auto differs = mesh.wait_job(submit({chatty}));
  EXPECT_EQ(differs["job_state"], "FAILED");
  EXPECT_EQ(differs["state_reason"], "NoQuorum") << "their stdout differs, so their results do";
  auto agrees = mesh.wait_job(submit({quiet}));
  EXPECT_EQ(agrees["job_state"], "COMPLETED") << "only answer.txt is the result";
}

}  // namespace
}  // namespace og::test
