// Daemons dying: nothing acknowledged is lost, leases resume or are requeued.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/sha256.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

nlohmann::json job_body(const std::string& script) {
  return {{"job", {{"name", "t"}, {"script", script}, {"script_name", "t.sh"}}}};
}

TEST(Failures, WorkerKilledMidJobIsRequeuedElsewhere) {
  Mesh mesh;
  mesh.start_schedd({"--heartbeat-timeout-ms", "1500"});
  std::string first = mesh.start_worker(1);
  mesh.await_workers(1);
  auto c = mesh.client();
  uint64_t id = c.call("POST", "/og/v1/jobs", job_body("#!/bin/bash\nsleep 1\necho done\n"))["job_id"];
  ASSERT_TRUE(mesh.await_state(id, "RUNNING"));
  ASSERT_EQ(mesh.job(id)["nodes"], first);
  mesh.kill_worker(first);
  std::string second = mesh.start_worker(1);
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "COMPLETED");
  EXPECT_EQ(job["requeue_count"], 1);
  EXPECT_EQ(job["nodes"], second);
  auto sinfo = c.call("GET", "/og/v1/partitions")["partitions"];
  EXPECT_EQ(sinfo[0]["name"], first);
  EXPECT_EQ(sinfo[0]["state"], "DOWN");
}

TEST(Failures, AReplacementReplicaResumesFromTheLastVerifiedCheckpoint) {
  Mesh mesh;
  mesh.start_schedd({"--heartbeat-timeout-ms", "1500"});
  mesh.start_worker(1);
  mesh.start_worker(1);
  mesh.await_workers(2);
  // Fresh replicas report checkpoint 1 and wait; a replica that is handed a checkpoint
  // says what it got (outside its job directory, so its outputs stay the same).
  std::string flag = mesh.dir() + "/go", resumes = mesh.dir() + "/resumes";
  std::string script = mesh.write_script(
      "ckpt.sh", "#!/bin/bash\n#SBATCH --replicas=2 --time=5\n"
                 "if [ -n \"$OG_RESUME_CHECKPOINT\" ]; then\n"
                 "  echo \"$OG_RESUME_MILESTONE $(cat \"$OG_RESUME_CHECKPOINT\")\" >>" + resumes + "\n"
                 "else\n"
                 "  echo state-at-1 >\"$OG_MILESTONES/.1\" && mv \"$OG_MILESTONES/.1\" \"$OG_MILESTONES/1\"\n"
                 "fi\n"
                 "while [ ! -e " + flag + " ]; do sleep 0.05; done\necho done >out.txt\n");
  uint64_t id = mesh.sbatch({script});
  ASSERT_TRUE(await([&] { return mesh.job(id)["checkpoint_milestone"] == 1; })) << mesh.job(id).dump();
  // Only the verified checkpoint may be uploaded as one, and only by a lease holder.
  {
    auto lease = mesh.job(id)["replica_leases"][0];
    HttpClient worker = mesh.client(lease["partition"].get<std::string>());
    std::string junk = "not the checkpoint";
    auto r = worker.request("PUT", "/og/v1/artifacts/" + sha256_hex(junk) + "?purpose=checkpoint&lease=" +
                                       std::to_string(lease["lease_id"].get<uint64_t>()),
                            junk, 30000, "application/octet-stream");
    EXPECT_EQ(r.status, 409) << r.body;
  }
  // Verified checkpoints survive og-schedd's sudden death.
  mesh.kill_schedd(9);
  mesh.start_schedd();
  ASSERT_EQ(mesh.job(id)["checkpoint_milestone"], 1);

  std::string spare = mesh.start_worker(1);
  std::string lost = mesh.job(id)["replica_leases"][0]["partition"];
  mesh.kill_worker(lost);
  ASSERT_TRUE(await([&] { return read_file(resumes) == "1 state-at-1\n"; }, std::chrono::seconds(30)))
      << "the replacement was not handed checkpoint 1: " << read_file(resumes);
  std::ofstream(flag) << "go";
  auto job = mesh.await_replicas_done(id, 2);
  EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
  std::set<std::string> roots, partitions;
  for (const auto& lease : job["replica_leases"])
    if (lease["state"] == "DONE") roots.insert(lease["root"].get<std::string>()), partitions.insert(lease["partition"]);
  EXPECT_EQ(roots.size(), 1u);
  EXPECT_TRUE(partitions.count(spare)) << job.dump();
}

TEST(Failures, WorkerKilledWithRequeueOffIsNodeFail) {
  Mesh mesh;
  mesh.start_schedd({"--heartbeat-timeout-ms", "1500"});
  std::string w = mesh.start_worker(1);
  mesh.await_workers(1);
  std::string script = mesh.write_script("noreq.sh", "#!/bin/bash\n#SBATCH --no-requeue\nexec sleep 60\n");
  auto r = mesh.run({"og-sbatch", "--parsable", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t id = std::stoull(r.out);
  ASSERT_TRUE(mesh.await_state(id, "RUNNING"));
  mesh.kill_worker(w);
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "NODE_FAIL");
}

TEST(Failures, RestartedWorkerRunsItsLostLeaseAgainAtOnce) {
  Mesh mesh;
  mesh.start_schedd();  // default 30 s heartbeat: only reconciliation can be this quick
  std::string w = mesh.start_worker(1);
  mesh.await_workers(1);
  std::string starts = mesh.dir() + "/starts.txt";
  uint64_t id = mesh.client().call(
      "POST", "/og/v1/jobs", job_body("#!/bin/bash\necho $$ >> " + starts + "\nexec sleep 300\n"))["job_id"];
  // The whole first line, not just the file: killed between bash's open and its write,
  // the first run would leave no line and the count below could never reach 2.
  auto lines = [&] {
    std::string text = read_file(starts);
    return std::count(text.begin(), text.end(), '\n');
  };
  ASSERT_TRUE(await([&] { return lines() == 1; }));
  mesh.kill_worker(w);
  // The same worker comes back with no jobs. At its first poll og-schedd learns the lease
  // is gone (requeue) or was never received (offered again): either way the job runs
  // again long before the 30 s heartbeat timeout.
  auto start = std::chrono::steady_clock::now();
  mesh.start_worker(1, {}, w);
  EXPECT_TRUE(await([&] { return lines() == 2; })) << read_file(starts);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(mesh.job(id)["job_state"], "RUNNING");
}

TEST(Failures, SchedulerKilledDuringSubmissionsLosesNoAcknowledgedJob) {
  Mesh mesh;
  mesh.start_schedd();
  auto acknowledged = mesh.kill_schedd_among_submissions(job_body("#!/bin/bash\ntrue\n"), 200);
  mesh.start_schedd();
  auto c = mesh.client();
  auto jobs = c.call("GET", "/og/v1/jobs")["jobs"];
  std::set<uint64_t> present;
  for (const auto& j : jobs) present.insert(j["job_id"].get<uint64_t>());
  for (uint64_t id : acknowledged) EXPECT_TRUE(present.count(id)) << "acknowledged job " << id << " lost";
  EXPECT_GE(acknowledged.size(), 200u);
}

TEST(Failures, RunningLeaseResumesAcrossSchedulerRestart) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(1);
  mesh.await_workers(1);
  std::string flag = mesh.dir() + "/go";
  uint64_t id = mesh.client().call(
      "POST", "/og/v1/jobs",
      job_body("#!/bin/bash\nwhile [ ! -e " + flag + " ]; do sleep 0.05; done\necho finished\n"))["job_id"];
  ASSERT_TRUE(mesh.await_state(id, "RUNNING"));
  mesh.kill_schedd(9);
  mesh.start_schedd();  // same port and state
  std::ofstream(flag) << "go";
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "COMPLETED");
  EXPECT_EQ(job["requeue_count"], 0) << "the lease should have resumed, not restarted";
}


TEST(Failures, AHugeSparseOutputFailsTheJobUnreadAndTheWorkerCarriesOn) {
  Mesh mesh;
  mesh.start_schedd();
  std::string w = mesh.start_worker(1, {"--max-job-output", "1000000"});
  mesh.await_workers(1);
  // 10 TB that cost the job nothing: hashed or read, it would take the worker down.
  uint64_t id = mesh.client().call(
      "POST", "/og/v1/jobs",
      {{"job", {{"name", "sparse"}, {"script", "#!/bin/bash\ntruncate -s 10T huge.bin\n"}, {"script_name", "s.sh"}}}})["job_id"];
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "FAILED");
  EXPECT_NE(read_file(mesh.dir() + "/" + w + ".log").find("output_too_large"), std::string::npos);
  uint64_t next = mesh.client().call(
      "POST", "/og/v1/jobs", {{"job", {{"name", "ok"}, {"script", "#!/bin/sh\ntrue\n"}, {"script_name", "ok.sh"}}}})["job_id"];
  EXPECT_EQ(mesh.wait_job(next)["job_state"], "COMPLETED");
}

TEST(Failures, AnOutputTooLargeToKeepFailsTheJobVisibly) {
  Mesh mesh;
  mesh.start_schedd({"--max-upload", "1000"});
  mesh.start_worker(1);
  mesh.await_workers(1);
  uint64_t id = mesh.client().call(
      "POST", "/og/v1/jobs",
      {{"job", {{"name", "big"}, {"script", "#!/bin/bash\nhead -c 5000 /dev/zero > big.bin\n"},
                {"script_name", "big.sh"}}}})["job_id"];
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "FAILED");
  EXPECT_EQ(job["requeue_count"], 0) << "the result must be reported, not lost";
}


TEST(Failures, DrainedWorkerFinishesItsJobTakesNoMoreAndResumes) {
  Mesh mesh;
  mesh.start_schedd();
  std::string worker = mesh.start_worker(2);
  mesh.await_workers(1);
  std::string flag = mesh.dir() + "/go";
  std::string waits = mesh.write_script("wait.sh", "#!/bin/bash\nwhile [ ! -e " + flag + " ]; do sleep 0.05; done\n");
  auto r = mesh.run({"og-sbatch", "--parsable", waits});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t running = std::stoull(r.out);
  ASSERT_TRUE(mesh.await_state(running, "RUNNING"));

  mesh.token("ops", "admin");
  auto drain = mesh.run({"og-scontrol", "drain", worker}, "ops");
  ASSERT_EQ(drain.exit_code, 0) << drain.err;
  auto sinfo = nlohmann::json::parse(mesh.run({"og-sinfo", "--json"}).out);
  EXPECT_EQ(sinfo["partitions"][0]["state"], "DRAIN");
  std::string quick = mesh.write_script("quick.sh", "#!/bin/bash\ntrue\n");
  r = mesh.run({"og-sbatch", "--parsable", quick});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t next = std::stoull(r.out);
  EXPECT_TRUE(await([&] { return mesh.job(next)["state_reason"] == "PartitionDown"; }));

  std::ofstream(flag) << "go";  // the running job still finishes on the drained worker
  EXPECT_EQ(mesh.wait_job(running)["job_state"], "COMPLETED");
  EXPECT_EQ(mesh.job(next)["job_state"], "PENDING") << "a drained worker takes no new work";

  auto resume = mesh.run({"og-scontrol", "resume", worker}, "ops");
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(mesh.wait_job(next)["job_state"], "COMPLETED");
}


TEST(Failures, AJobWhoseOutputsExceedTheLimitFailsVisibly) {
  Mesh mesh;
  mesh.start_schedd({"--max-job-output", "1000"});
  mesh.start_worker(1);
  mesh.await_workers(1);
  // Each file is within the per-file limit; together they are not.
  uint64_t id = mesh.client().call(
      "POST", "/og/v1/jobs",
      job_body("#!/bin/bash\nhead -c 600 /dev/urandom > a.bin\nhead -c 600 /dev/urandom > b.bin\n"))["job_id"];
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "FAILED");
  EXPECT_EQ(job["requeue_count"], 0) << "reported, not lost";
  // Uploads must name an active lease of the uploader.
  auto worker = mesh.client("worker-1");
  auto r = worker.request("PUT", "/og/v1/artifacts/" + std::string(64, 'a'), "x", 5000, "application/octet-stream");
  EXPECT_EQ(r.status, 403u) << r.body;
  r = worker.request("PUT", "/og/v1/artifacts/" + std::string(64, 'a') + "?lease=999", "x", 5000, "application/octet-stream");
  EXPECT_EQ(r.status, 403u) << r.body;
}

}  // namespace
}  // namespace og::test
