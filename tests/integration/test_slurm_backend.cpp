// og-worker --backend slurm in front of a real one-host Slurm (scripts/slurm-local.sh:
// munge, slurmctld, 4 slurmd nodes, slurmrestd with JWT): jobs submitted with og-sbatch
// run as Slurm jobs and come back verified; cancel reaches Slurm; ranks spread over nodes.
// Skips, saying why, where Slurm cannot start (not root, packages missing).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "tests/integration/local_slurm.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

class SlurmBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!slurm().why_not.empty()) GTEST_SKIP() << "SKIPPED: " << slurm().why_not;
    mesh.quiet = false;
    mesh.start_schedd({"--heartbeat-timeout-ms", "2000"});
    const auto& e = slurm().env;
    worker = mesh.start_worker(8, {"--backend", "slurm", "--slurmrestd", e.at("OG_SLURMRESTD_URL"), "--slurm-user",
                                   "root", "--slurm-token-file", e.at("OG_SLURM_TOKEN_FILE"),
                                   "--slurm-token-command", e.at("OG_SLURM_TOKEN_COMMAND")});
    mesh.await_workers(1);
    submit_dir = mesh.dir() + "/submit";
    fs::create_directories(submit_dir);
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (const char* log : {"log/slurmrestd.out", "log/slurmctld.log"})
      std::cerr << "--- last lines of " << log << "\n" << tail_of(slurm().dir + "/" + log, 30);
  }
  // SIGSTOP to slurmrestd until destroyed: the worker then waits on it (the cluster is
  // shared by the suite, so a failed assertion must not leave it frozen).
  struct FrozenSlurmrestd {
    pid_t pid = std::stoi(read_file(slurm().dir + "/run/slurmrestd.pid"));
    bool frozen = ::kill(pid, SIGSTOP) == 0;
    void thaw() {
      if (frozen) ::kill(pid, SIGCONT);
      frozen = false;
    }
    ~FrozenSlurmrestd() { thaw(); }
  };
  // What squeue says of the jobs named NAME ("" once Slurm has none running or queued).
  std::string slurm_state(const std::string& name) { return slurm().run("squeue -h -n " + name + " -o %T"); }
  bool await_slurm_running(const std::string& name) {
    return await([&] { return slurm_state(name).find("RUNNING") != std::string::npos; });
  }
  bool await_slurm_gone(const std::string& name) {
    return await([&] { return slurm_state(name).empty(); });
  }
  // Whether og-schedd writes the worker's partition off (heartbeats missed) within `time`.
  bool partition_goes_down_within(std::chrono::seconds time) {
    return await([&] {
      return mesh.client().call("GET", "/og/v1/partitions")["partitions"][0]["state"] == "DOWN";
    }, time);
  }
  // Whether the worker has collected the job's lease (a job is RUNNING once assigned).
  bool await_delivered(uint64_t id) {
    return await([&] {
      auto leases = mesh.job(id)["replica_leases"];
      return !leases.empty() && leases[0]["state"] == "RUNNING";
    });
  }
  // Runs the script to COMPLETED and fetches its result into submit_dir/NAME.d.
  std::string run_to_result(const std::string& name, const std::string& text) {
    uint64_t id = mesh.sbatch({mesh.write_script(name, text)}, submit_dir);
    auto job = mesh.wait_job(id);
    EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
    std::string into = submit_dir + "/" + name + ".d";
    auto fetch = mesh.run({"og-fetch", "-D", into, std::to_string(id)});
    EXPECT_EQ(fetch.exit_code, 0) << fetch.err;
    return into;
  }
  Mesh mesh;
  std::string worker, submit_dir;
};

TEST_F(SlurmBackendTest, AJobRunsAsASlurmJobToAVerifiedResult) {
  // SLURM_CLUSTER_NAME and SLURMD_NODENAME are set by Slurm itself, not by OpenGrid.
  std::string script = mesh.write_script(
      "hello.sh", "#!/bin/bash\n#SBATCH -n 2 --time=5\necho \"ran on $SLURM_CLUSTER_NAME\" >where.txt\n"
                  "[ -n \"$SLURMD_NODENAME\" ] && echo node-set >>where.txt\necho args: \"$@\"\n");
  auto r = mesh.run({"og-sbatch", "--wait", script, "a b", "c"}, "alice", submit_dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  uint64_t id = std::stoull(r.out.substr(r.out.rfind(' ') + 1));
  auto job = mesh.job(id);
  EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
  EXPECT_EQ(job["nodes"], worker);
  EXPECT_EQ(read_file(submit_dir + "/where.txt"), "ran on opengrid-local\nnode-set\n");
  EXPECT_EQ(read_file(submit_dir + "/slurm-" + std::to_string(id) + ".out"), "args: a b c\n");
}

TEST_F(SlurmBackendTest, JobsRunAsTheConfiguredClusterAccountNotRoot) {
  // A worker selling the cluster as "nobody": the work directory becomes that account's.
  std::string jwt = slurm().run("scontrol token username=nobody lifespan=3600");
  ASSERT_EQ(jwt.rfind("SLURM_JWT=", 0), 0u) << jwt;
  std::string token = mesh.dir() + "/nobody.jwt";
  std::ofstream(token) << jwt;
  fs::permissions(mesh.dir(), fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  std::string as_nobody = mesh.start_worker(2, {"--backend", "slurm", "--slurmrestd", slurm().env.at("OG_SLURMRESTD_URL"),
                                                "--slurm-user", "nobody", "--slurm-token-file", token});
  mesh.await_workers(2);
  std::string out = run_to_result("who.sh", "#!/bin/bash\n#SBATCH -p " + as_nobody + "\nid -un >who.txt\n");
  EXPECT_EQ(read_file(out + "/who.txt"), "nobody\n");
}

TEST_F(SlurmBackendTest, ARefusedTokenIsRenewedByTheConfiguredCommand) {
  // A worker whose token slurmrestd refuses: the command renews it, and it registers.
  const auto& e = slurm().env;
  std::string token = mesh.dir() + "/stale.jwt";
  std::ofstream(token) << "not-a-valid-token\n";
  mesh.start_worker(2, {"--backend", "slurm", "--slurmrestd", e.at("OG_SLURMRESTD_URL"), "--slurm-user", "root",
                        "--slurm-token-file", token, "--slurm-token-command",
                        e.at("OG_SLURM_TOKEN_COMMAND") + " && cp " + e.at("OG_SLURM_TOKEN_FILE") + " " + token});
  mesh.await_workers(2);
  EXPECT_EQ(read_file(token), read_file(e.at("OG_SLURM_TOKEN_FILE")));
}

TEST_F(SlurmBackendTest, AFailingScriptFailsWithItsExitCode) {
  std::string script = mesh.write_script("fail.sh", "#!/bin/bash\necho no >&2\nexit 3\n");
  uint64_t id = mesh.sbatch({script}, submit_dir);
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "FAILED") << job.dump();
  EXPECT_EQ(job["exit_code"], 3) << job.dump();
}

TEST_F(SlurmBackendTest, AShapeTheClusterCannotHoldIsRefusedSayingWhyAndTheWorkerCarriesOn) {
  // 5 nodes of a 4-node cluster: the worker said it has 4, so the job is refused.
  std::string script = mesh.write_script("wide.sh", "#!/bin/bash\n#SBATCH --nodes=5 --ntasks-per-node=1\ntrue\n");
  auto refused = mesh.run({"og-sbatch", script}, "alice", submit_dir);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("it asks for 5 nodes; the most a partition offers is 4"), std::string::npos)
      << refused.err;
  auto sinfo = nlohmann::json::parse(mesh.run({"og-sinfo", "--json"}).out);
  EXPECT_EQ(sinfo["partitions"][0]["nodes"], 4) << "the cluster's nodes are offered: " << sinfo.dump();
  std::string ok = mesh.write_script("ok.sh", "#!/bin/bash\necho fine\n");
  EXPECT_EQ(mesh.wait_job(mesh.sbatch({ok}, submit_dir))["job_state"], "COMPLETED");
}

TEST_F(SlurmBackendTest, CancelReachesSlurm) {
  std::string script = mesh.write_script("sleep.sh", "#!/bin/bash\n#SBATCH -J og-sleeper\nsleep 300\n");
  uint64_t id = mesh.sbatch({script}, submit_dir);
  ASSERT_TRUE(mesh.await_state(id, "RUNNING"));
  ASSERT_TRUE(await_slurm_running("og-sleeper"))
      << slurm().run("squeue");
  auto r = mesh.run({"og-scancel", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(await_slurm_gone("og-sleeper"))
      << "still in Slurm: " << slurm().run("squeue");
  EXPECT_EQ(mesh.wait_job(id)["job_state"], "CANCELLED");
}

TEST_F(SlurmBackendTest, WithSlurmrestdDownThePartitionGoesDownAndItsLeaseIsRequeued) {
  std::string script = mesh.write_script("later.sh", "#!/bin/bash\n#SBATCH -J og-later\nsleep 3\necho done >done.txt\n");
  uint64_t id = mesh.sbatch({script}, submit_dir);
  ASSERT_TRUE(await_slurm_running("og-later"))
      << slurm().run("squeue");
  std::string pid = read_file(slurm().dir + "/run/slurmrestd.pid");
  ASSERT_EQ(::kill(std::stoi(pid), SIGKILL), 0);
  // No answer from the cluster: no heartbeats, so og-schedd marks the partition DOWN and
  // puts the job back in the queue.
  EXPECT_TRUE(await([&] { return mesh.job(id)["job_state"] == "PENDING"; }, std::chrono::seconds(30)))
      << mesh.job(id).dump();
  auto partitions = mesh.client().call("GET", "/og/v1/partitions")["partitions"];
  EXPECT_EQ(partitions[0]["state"], "DOWN");
  // slurmrestd back: the worker takes leases again and the job runs to its end, once.
  ASSERT_EQ(std::system(("bash " + slurm().dir + "/etc/start-slurmrestd.sh").c_str()), 0);
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
  EXPECT_EQ(job["requeue_count"], 1);
  EXPECT_TRUE(await_slurm_gone("og-later"))
      << "left in Slurm: " << slurm().run("squeue");
}

TEST_F(SlurmBackendTest, ASlowSlurmrestdDoesNotStopTheHeartbeat) {
  // slurmrestd frozen: the submission waits for it on the backend's own thread, while the
  // worker keeps polling; og-schedd (2 s heartbeat timeout) must not write it off.
  FrozenSlurmrestd rest;
  ASSERT_TRUE(rest.frozen);
  std::string script = mesh.write_script("patient.sh", "#!/bin/bash\n#SBATCH -J og-patient\necho ok >ok.txt\n");
  uint64_t id = mesh.sbatch({script}, submit_dir);
  ASSERT_TRUE(await_delivered(id));  // the worker has the lease; Slurm not yet
  bool went_down = partition_goes_down_within(std::chrono::seconds(4));
  rest.thaw();
  EXPECT_FALSE(went_down) << "a worker waiting on slurmrestd stopped its heartbeat";
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
  EXPECT_EQ(job["requeue_count"], 0);
}

TEST_F(SlurmBackendTest, ACancelWaitingOnSlurmrestdDoesNotStopTheHeartbeat) {
  std::string script = mesh.write_script("long.sh", "#!/bin/bash\n#SBATCH -J og-long\nsleep 300\n");
  uint64_t id = mesh.sbatch({script}, submit_dir);
  ASSERT_TRUE(await_slurm_running("og-long"))
      << slurm().run("squeue");
  FrozenSlurmrestd rest;
  ASSERT_TRUE(rest.frozen);
  auto r = mesh.run({"og-scancel", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool went_down = partition_goes_down_within(std::chrono::seconds(4));
  rest.thaw();
  EXPECT_FALSE(went_down) << "a worker cancelling through a frozen slurmrestd stopped its heartbeat";
  EXPECT_EQ(mesh.wait_job(id)["job_state"], "CANCELLED");
  EXPECT_TRUE(await_slurm_gone("og-long"))
      << "still in Slurm: " << slurm().run("squeue");
}

TEST_F(SlurmBackendTest, ALeaseCancelledBeforeSlurmHasItNeverRuns) {
  // Cancelled while its submission waits for a frozen slurmrestd: it never reaches Slurm.
  FrozenSlurmrestd rest;
  ASSERT_TRUE(rest.frozen);
  std::string first = mesh.write_script("first.sh", "#!/bin/bash\n#SBATCH -J og-first\ntrue\n");
  std::string second = mesh.write_script("second.sh", "#!/bin/bash\n#SBATCH -J og-second\ntrue\n");
  // The first is being submitted (waiting for slurmrestd), the second waits behind it.
  uint64_t a = mesh.sbatch({first}, submit_dir);
  ASSERT_TRUE(await_delivered(a));
  uint64_t b = mesh.sbatch({second}, submit_dir);
  ASSERT_TRUE(await_delivered(b)) << "the worker stopped collecting leases";
  uint64_t lease = mesh.job(b)["replica_leases"][0]["lease_id"];
  auto r = mesh.run({"og-scancel", std::to_string(b)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Thawed once the worker has the cancel (og-schedd has it at once; the worker at its
  // next poll), so that the second cannot be submitted first.
  ASSERT_TRUE(await([&] {
    return read_file(mesh.dir() + "/worker-1.log")
               .find("event=lease_cancelled_before_submission lease=" + std::to_string(lease) + "\n") !=
           std::string::npos;
  }));
  rest.thaw();
  EXPECT_EQ(mesh.wait_job(a)["job_state"], "COMPLETED");
  EXPECT_EQ(mesh.wait_job(b)["job_state"], "CANCELLED");
  // Slurm lists ended jobs for MinJobAge (600 s): it never had this one.
  EXPECT_EQ(slurm().run("squeue -h -t all -n og-second -o %i"), "") << slurm().run("squeue -t all");
  EXPECT_NE(slurm().run("squeue -h -t all -n og-first -o %i"), "");
}

TEST_F(SlurmBackendTest, RanksOfATwoNodeJobRunOnTwoSlurmNodes) {
  std::string out = run_to_result("nodes.sh", "#!/bin/bash\n#SBATCH --nodes=2 --ntasks-per-node=1 --time=5\n"
                                              "srun bash -c 'echo $SLURMD_NODENAME' | sort >nodes.txt\n"
                                              "command -v srun >which.txt\n");
  EXPECT_EQ(read_file(out + "/which.txt"), "/usr/bin/srun\n") << "the cluster's own srun, not og-srun";
  std::string nodes = read_file(out + "/nodes.txt");
  EXPECT_EQ(std::count(nodes.begin(), nodes.end(), '\n'), 2) << nodes;
  EXPECT_NE(nodes.substr(0, nodes.find('\n')), nodes.substr(nodes.find('\n') + 1)) << "both ranks on one node: " << nodes;
}

TEST_F(SlurmBackendTest, MpiRanksOfATwoNodeJobRunOnTwoSlurmNodes) {
  if (::access("/usr/bin/mpicc", X_OK) != 0) GTEST_SKIP() << "SKIPPED: Open MPI (libopenmpi-dev) is not installed";
  // Each rank writes the Slurm node it runs on and the sum of all ranks' numbers.
  std::ofstream(submit_dir + "/where.c")
      << "#include <mpi.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
         "int main(int c, char** v) { int r, s = 0, one; char name[32]; MPI_Init(&c, &v);\n"
         "MPI_Comm_rank(MPI_COMM_WORLD, &r); one = r + 1;\n"
         "MPI_Allreduce(&one, &s, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);\n"
         "snprintf(name, sizeof name, \"rank%d.txt\", r); FILE* f = fopen(name, \"w\");\n"
         "const char* node = getenv(\"SLURMD_NODENAME\"); fprintf(f, \"%s %d\\n\", node ? node : \"?\", s);\n"
         "fclose(f); MPI_Finalize(); return 0; }\n";
  auto cc = mesh.exec({"/usr/bin/mpicc", "-o", submit_dir + "/where", submit_dir + "/where.c"});
  ASSERT_EQ(cc.exit_code, 0) << cc.err;
  std::string out = run_to_result("mpi.sh", "#!/bin/bash\n#SBATCH --nodes=2 --ntasks-per-node=1 --time=5\n"
                                            "#OG --input=where\n"
                                            "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n"
                                            "mpirun ./where\n");
  std::string rank0 = read_file(out + "/rank0.txt"), rank1 = read_file(out + "/rank1.txt");
  EXPECT_EQ(rank0.substr(rank0.find(' ')), " 3\n") << rank0;
  EXPECT_EQ(rank1.substr(rank1.find(' ')), " 3\n") << rank1;
  EXPECT_NE(rank0.substr(0, rank0.find(' ')), rank1.substr(0, rank1.find(' '))) << "both ranks on " << rank0;
}

}  // namespace
}  // namespace og::test
