// Containment: each hostile job script below runs through a real jailed og-worker, and
// each escape it tries is refused and reported. The jail needs root: without it these
// tests skip with a message saying so.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/hex.hpp"
#include "core/process.hpp"
#include "core/sqlite.hpp"
#include "tests/integration/fake_provider.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

// Job uids of this test process's workers: a range of their own, so tests running side
// by side (ctest -j) never see each other's jobs.
constexpr uint32_t kJobUids = 64;
const uint32_t kFirstJobUid = 3000000 + (static_cast<uint32_t>(::getpid()) % 10000) * kJobUids;

// Processes on this host (outside any jail) owned by a job uid.
std::vector<pid_t> job_uid_processes() {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) continue;
    if (st.st_uid >= kFirstJobUid && st.st_uid < kFirstJobUid + kJobUids) found.push_back(std::stoi(name));
  }
  return found;
}

bool process_matching(const std::string& needle) {
  for (const auto& [pid, cmd] : command_lines())
    if (cmd.find(needle) != std::string::npos && cmd.find("bash -c") == std::string::npos) return true;
  return false;
}

class Sandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the jail needs root (namespaces, cgroups, per-job uids)";
    mesh.start_schedd();
    std::string uids = std::to_string(kFirstJobUid) + "-" + std::to_string(kFirstJobUid + kJobUids - 1);
    worker = mesh.start_worker(2, {"--isolation", "jail", "--job-pids", "64", "--job-uids", uids});
    mesh.await_workers(1);
    submit_dir = mesh.dir() + "/submit";
    fs::create_directories(submit_dir);
  }
  uint64_t submit(const std::string& name, const std::string& script, std::vector<std::string> args = {}) {
    args.push_back(mesh.write_script(name, script));
    return mesh.sbatch(args, submit_dir);
  }
  // Runs the script to its end and returns its standard output.
  std::string run_to_end(const std::string& name, const std::string& script, const std::string& state = "COMPLETED") {
    return mesh.finished_output(submit(name, script), submit_dir + "/" + name + ".d", state);
  }
  Mesh mesh;
  std::string worker, submit_dir;
};

TEST_F(Sandbox, JobRunsAsAnUnprivilegedUidWithNothingToGain) {
  std::string out = run_to_end("who.sh",
                               "#!/bin/bash\nid -u\ngrep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status\n"
                               "hostname\nls /proc | grep -c '^[0-9]'\n");
  std::istringstream lines(out);
  uint32_t uid = 0;
  lines >> uid;
  EXPECT_GE(uid, kFirstJobUid) << out;
  EXPECT_NE(out.find("CapEff:\t0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("CapBnd:\t0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("NoNewPrivs:\t1"), std::string::npos) << out;
  EXPECT_NE(out.find("og-job-"), std::string::npos) << "a host name of its own: " << out;
}

TEST_F(Sandbox, WritesOutsideTheJobDirectoryAndReadsOfWorkerStateAreRefused) {
  std::string worker_dir = mesh.dir() + "/" + worker, token = mesh.dir() + "/" + worker + ".token";
  std::string script = "#!/bin/bash\n"
                       "for f in /usr/og-escape /etc/og-escape " + worker_dir + "/og-escape /og-escape; do\n"
                       "  if touch $f 2>/dev/null; then echo \"WROTE $f\"; else echo \"refused $f\"; fi\n"
                       "done\n"
                       "if cat " + token + " 2>/dev/null; then echo READ-TOKEN; else echo refused-token; fi\n"
                       "if cat /etc/shadow 2>/dev/null >/dev/null; then echo READ-SHADOW; else echo refused-shadow; fi\n"
                       "echo mine > $OG_JOB_DIR/mine.txt && echo wrote-own\n"
                       "ls $(dirname $OG_JOB_DIR) | wc -l\n";
  std::string out = run_to_end("write.sh", script);
  EXPECT_EQ(out.find("WROTE"), std::string::npos) << out;
  EXPECT_EQ(out.find("READ-"), std::string::npos) << out;
  EXPECT_NE(out.find("refused /usr/og-escape"), std::string::npos) << out;
  EXPECT_NE(out.find("refused-token"), std::string::npos) << out;
  EXPECT_NE(out.find("wrote-own\n1\n"), std::string::npos) << "its own directory alone: " << out;
  EXPECT_FALSE(fs::exists("/usr/og-escape"));
  EXPECT_FALSE(fs::exists(worker_dir + "/og-escape"));
}

TEST_F(Sandbox, AnotherJobsFilesAreOutOfSight) {
  uint64_t first = submit("holder.sh", "#!/bin/bash\necho private > secret.txt\nsleep 30\n");
  ASSERT_TRUE(mesh.await_state(first, "RUNNING"));
  std::string jobs = mesh.dir() + "/" + worker + "/jobs";
  ASSERT_TRUE(await([&] {
    for (const auto& e : fs::recursive_directory_iterator(jobs, fs::directory_options::skip_permission_denied))
      if (e.path().filename() == "secret.txt") return true;
    return false;
  })) << "the first job's file exists on the host";
  std::string out = run_to_end("peek.sh", "#!/bin/bash\nfind / -name secret.txt 2>/dev/null | wc -l\n");
  EXPECT_EQ(out, "0\n");
  mesh.run({"og-scancel", std::to_string(first)});
}

TEST_F(Sandbox, TheHostsListenersAndNameServiceAreUnreachable) {
  std::string port = std::to_string(mesh.port());  // og-schedd listens on the host's loopback
  std::string script = "#!/bin/bash\n"
                       "if (exec 3<>/dev/tcp/127.0.0.1/" + port + ") 2>/dev/null; then echo CONNECTED; else echo refused-host-port; fi\n"
                       "if getent hosts example.com >/dev/null 2>&1; then echo RESOLVED; else echo refused-dns; fi\n"
                       "ls /sys/class/net 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1\n";
  std::string out = run_to_end("net.sh", script);
  EXPECT_NE(out.find("refused-host-port"), std::string::npos) << out;
  EXPECT_NE(out.find("refused-dns"), std::string::npos) << out;
  EXPECT_EQ(out.find("eth"), std::string::npos) << "only its own loopback: " << out;
}

TEST_F(Sandbox, NetworkNoneHasNotEvenLoopback) {
  std::string out = run_to_end("nonet.sh", "#!/bin/bash\n#OG --network=none\ncat /sys/class/net/lo/operstate 2>/dev/null;"
                                           "ip -o link 2>/dev/null | grep -c UP; grep -c lo /proc/net/dev\n"
                                           "if (exec 3<>/dev/tcp/127.0.0.1/9) 2>&1 | grep -q unreachable; then echo no-route; fi\n");
  EXPECT_NE(out.find("no-route"), std::string::npos) << out;
}

TEST_F(Sandbox, AForkBombIsFencedAndEndsAtTheTimeLimit) {
  auto started = std::chrono::steady_clock::now();
  // Every process forks for ever: a bomb that does not burn out by itself.
  // A limit in seconds: through the API (#SBATCH rounds up to minutes, as Slurm does).
  uint64_t id = mesh.client().call("POST", "/og/v1/jobs", job_body("#!/bin/bash\nbomb() { while :; do bomb & done; }; bomb 2>/dev/null\n",
                                                                  {{"time_limit_s", 4}}))["job_id"];
  // Watched from the host while it runs: the bomb goes off, and stays under --job-pids.
  size_t most = 0;
  while (!mesh.await_state(id, "TIMEOUT", "alice", std::chrono::milliseconds(50)) &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(30))
    most = std::max(most, job_uid_processes().size());
  EXPECT_EQ(mesh.job(id)["job_state"], "TIMEOUT");
  EXPECT_GT(most, 10u) << "the bomb went off";
  EXPECT_LE(most, 64u) << "the worker's --job-pids 64 held";
  EXPECT_TRUE(await([] { return job_uid_processes().empty(); })) << "every process of the job is gone";
}

TEST_F(Sandbox, AMemoryBombEndsOutOfMemory) {
  uint64_t id = submit("mem.sh", "#!/bin/bash\n#SBATCH --mem=64M\nperl -e '$x = \"a\" x (512 * 1024 * 1024); print length $x'\n");
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "OUT_OF_MEMORY") << job.dump();
}

TEST_F(Sandbox, OrphansDoNotOutliveTheirJob) {
  std::string out = run_to_end("orphans.sh", "#!/bin/bash\n(setsid sleep 4242 &)\n( (sleep 4343 &) & )\n"
                                             "nohup sleep 4444 >/dev/null 2>&1 &\ndisown\necho left\n");
  EXPECT_EQ(out, "left\n");
  EXPECT_TRUE(await([] {
    return !process_matching("sleep 4242") && !process_matching("sleep 4343") && !process_matching("sleep 4444");
  })) << "the orphans were killed with the job";
}

TEST_F(Sandbox, TheWorkerCannotBeTracedOrSignalled) {
  pid_t worker_pid = 0;
  for (const auto& [pid, cmd] : command_lines())
    if (cmd.find("og-worker") != std::string::npos && cmd.find(worker) != std::string::npos) worker_pid = pid;
  ASSERT_NE(worker_pid, 0);
  std::string pid = std::to_string(worker_pid);
  // ptrace(PTRACE_ATTACH = 16) by system call number (101 on x86-64), through perl, which
  // every Debian system has.
  std::string script = "#!/bin/bash\n"
                       "if kill -0 " + pid + " 2>/dev/null; then echo SIGNALLED; else echo refused-signal; fi\n"
                       "if perl -e 'exit(syscall(101, 16, " + pid + ", 0, 0) == 0 ? 0 : 1)'; then echo TRACED; else echo refused-ptrace; fi\n"
                       "if [ -e /proc/" + pid + " ]; then echo VISIBLE; fi\n";
  std::string out = run_to_end("ptrace.sh", script);
  EXPECT_NE(out.find("refused-signal"), std::string::npos) << out;
  EXPECT_NE(out.find("refused-ptrace"), std::string::npos) << out;
  EXPECT_EQ(out.find("SIGNALLED"), std::string::npos) << out;
  EXPECT_EQ(out.find("TRACED"), std::string::npos) << out;
  EXPECT_EQ(out.find("VISIBLE"), std::string::npos) << out;
}

TEST_F(Sandbox, SleepingPastTheTimeLimitIsStopped) {
  auto started = std::chrono::steady_clock::now();
  uint64_t id = mesh.client().call("POST", "/og/v1/jobs", job_body("#!/bin/bash\ntrap '' TERM\nsleep 3600\n", {{"time_limit_s", 2}}))["job_id"];
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "TIMEOUT");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_TRUE(await([] { return !process_matching("sleep 3600"); }));
}

TEST_F(Sandbox, ASetuidRootBinaryInTheBundleGainsNothing) {
  fs::create_directories(submit_dir + "/tools");
  fs::copy_file("/usr/bin/id", submit_dir + "/tools/id");
  ::chmod((submit_dir + "/tools/id").c_str(), 04755);  // setuid root, as we are root
  std::string out = run_to_end("suid.sh", "#!/bin/bash\n#OG --input=tools\n./tools/id -u; ./tools/id -ru\n"
                                          "stat -c '%a' tools/id\n");
  std::istringstream lines(out);
  uint32_t effective = 0, real = 0;
  lines >> effective >> real;
  EXPECT_EQ(effective, real) << out;
  EXPECT_GE(effective, kFirstJobUid) << out;
}

TEST_F(Sandbox, SecretsAreReadOnlyForTheJobAloneAndGoWithIt) {
  std::ofstream(submit_dir + "/token.txt") << "tok-" << ::getpid();
  std::string out = run_to_end("secret.sh", "#!/bin/bash\n#OG --secret=token=token.txt\n"
                                            "echo $OG_SECRETS\nstat -c '%a %u' /run/secrets/token | cut -d' ' -f1\n"
                                            "[ \"$(stat -c %u /run/secrets/token)\" = \"$(id -u)\" ] && echo mine\n"
                                            "touch /run/secrets/more 2>/dev/null || echo read-only\n"
                                            "grep -c tok- /run/secrets/token\n");
  EXPECT_EQ(out, "/run/secrets\n400\nmine\nread-only\n1\n");
  EXPECT_FALSE(fs::exists("/run/secrets/token")) << "mounted in the job's namespace only";
  // Gone from og-schedd's database once the job ended, and in no other file of the mesh:
  // not the artifacts, not the logs, not the worker's directory.
  std::string secret = read_file(submit_dir + "/token.txt");
  mesh.kill_schedd(15);
  {
    Database db(mesh.dir() + "/schedd/schedd.db");
    auto s = db.prepare("SELECT count(*) FROM job_secrets");
    ASSERT_TRUE(s->step());
    EXPECT_EQ(s->column_int64(0), 0);
  }
  for (const auto& e : fs::recursive_directory_iterator(mesh.dir())) {
    std::string path = e.path().string();
    if (!e.is_regular_file() || path.find("/submit/") != std::string::npos || path.find("schedd.db") != std::string::npos)
      continue;
    std::string text = read_file(path);
    EXPECT_EQ(text.find(secret), std::string::npos) << "the secret is in " << path;
    EXPECT_EQ(text.find(to_hex(secret)), std::string::npos) << "the secret is in " << path;
  }
}

TEST_F(Sandbox, JobDirectoriesOnTmpfsScratchWork) {
  // Providers put job directories on /dev/shm or /tmp; the jail mounts its own there.
  std::string scratch = "/dev/shm/og-test-" + std::to_string(::getpid());
  mesh.kill_worker(worker);
  std::string uids = std::to_string(kFirstJobUid) + "-" + std::to_string(kFirstJobUid + kJobUids - 1);
  mesh.start_worker(2, {"--isolation", "jail", "--job-uids", uids, "--dir", scratch}, worker);
  std::string out = run_to_end("scratch.sh", "#!/bin/bash\necho \"$OG_JOB_DIR\"\n");
  fs::remove_all(scratch);
  EXPECT_EQ(out.rfind(scratch, 0), 0u) << out;
}

TEST_F(Sandbox, MilestonesThatAreLinksOrFifosAreNeitherFollowedNorWaitedOn) {
  // The worker hashes milestones as root while the job runs: a link to a host file must
  // not be read, a FIFO must not hang it.
  std::string out = run_to_end("ms.sh", "#!/bin/bash\nln -s /etc/shadow $OG_MILESTONES/1\nmkfifo $OG_MILESTONES/2\n"
                                        "sleep 2.5\necho done\n");
  EXPECT_EQ(out, "done\n");
  std::string log = read_file(mesh.dir() + "/" + worker + ".log");
  EXPECT_NE(log.find("milestone_ignored"), std::string::npos) << log;
  EXPECT_NE(log.find("not a regular file"), std::string::npos) << log;
}

TEST_F(Sandbox, AJailThatCannotStandSaysSoAndTheJobIsHandedBack) {
  // og-jail's own contract: its marker outlives it exactly when the jail failed.
  std::string dir = mesh.dir() + "/direct";
  fs::create_directories(dir + "/job");
  auto og_jail = [&](const std::string& cgroup_procs) {
    SpawnOptions o;
    o.argv = {bin_path("og-jail"), "--root", dir + "/job.root", "--failed-marker", dir + "/job.failed", "--job-dir",
              dir + "/job", "--uid", std::to_string(kFirstJobUid), "--gid", std::to_string(kFirstJobUid)};
    if (!cgroup_procs.empty()) o.argv.insert(o.argv.end(), {"--cgroup-procs", cgroup_procs});
    o.argv.insert(o.argv.end(), {"--", "/bin/sh", "-c", "exit 125"});  // a job may exit 125 too
    o.clone_flags = CLONE_NEWPID;
    o.stdout_path = o.stderr_path = dir + "/og-jail.log";
    int status = 0;
    ::waitpid(spawn_process(o), &status, 0);
    return exit_code_from_wait_status(status);
  };
  EXPECT_EQ(og_jail(dir + "/no-such-cgroup/cgroup.procs"), 125);
  EXPECT_TRUE(fs::exists(dir + "/job.failed")) << "the jail failed";
  fs::remove(dir + "/job.failed");
  EXPECT_EQ(og_jail(""), 125);
  EXPECT_FALSE(fs::exists(dir + "/job.failed")) << "the jail stood: the 125 is the job's";

  // Through a mesh of its own: a worker that cannot contain its jobs hands them back.
  Mesh other;
  other.start_schedd();
  std::string broken = other.start_worker(2, {"--isolation", "jail", "--job-pids", "0"});  // no pids limit: refused
  other.await_workers(1);
  uint64_t id = other.client().call("POST", "/og/v1/jobs",
                                    {{"job", {{"script", "#!/bin/bash\necho ran\n"}, {"script_name", "e.sh"}}}})["job_id"];
  ASSERT_TRUE(await([&] { return other.job(id)["requeue_count"].get<int>() >= 1; }))
      << other.job(id).dump() << read_file(other.dir() + "/" + broken + ".log");
  EXPECT_NE(read_file(other.dir() + "/" + broken + ".log").find("sandbox_failed"), std::string::npos);
  EXPECT_NE(other.job(id)["job_state"], "FAILED") << "not the job's failure";
}

// A job's environment file and og-jail's failure marker live in a root-only scratch
// directory (a tmpfs where there is one); what a worker killed mid-job left there goes
// when a worker next starts, and nothing of a worker still running.
TEST_F(Sandbox, WhatAKilledWorkerLeftInTheScratchDirectoryGoesAtTheNextStart) {
  std::string scratch;
  for (const char* dir : {"/dev/shm/opengrid-jail", "/run/opengrid-job-uids/opengrid-jail", "/tmp/opengrid-job-uids/opengrid-jail"})
    if (scratch.empty() && fs::is_directory(dir)) scratch = dir;
  ASSERT_FALSE(scratch.empty()) << "the worker made no scratch directory";
  EXPECT_EQ(fs::status(scratch).permissions() & fs::perms::all, fs::perms::owner_all);
  std::string gone = scratch + "/w999999999-lease-7.env";  // above any pid_max
  std::string running = scratch + "/w" + std::to_string(::getpid()) + "-lease-7.env";
  std::ofstream(gone) << "X=1";
  std::ofstream(running) << "X=1";
  mesh.kill_worker(worker);
  std::string uids = std::to_string(kFirstJobUid) + "-" + std::to_string(kFirstJobUid + kJobUids - 1);
  mesh.start_worker(2, {"--isolation", "jail", "--job-pids", "64", "--job-uids", uids}, worker);
  EXPECT_TRUE(await([&] { return !fs::exists(gone); }));
  EXPECT_TRUE(fs::exists(running));
  fs::remove(running);
  EXPECT_EQ(run_to_end("after.sh", "#!/bin/bash\necho still jailed\n"), "still jailed\n");
}

TEST_F(Sandbox, TheJobSeesItsOwnAccountAndNoneOfTheRequestersPaths) {
  std::string out = run_to_end("who.sh", "#!/bin/bash\necho \"$USER $LOGNAME $SHELL $(id -un)\"\nenv\n");
  EXPECT_EQ(out.substr(0, out.find('\n')), "og-job og-job /bin/sh og-job");
  EXPECT_EQ(out.find(submit_dir), std::string::npos) << "the requester's directory reached the provider: " << out;
  EXPECT_EQ(out.find("OG_SUBMIT_DIR"), std::string::npos);
}

TEST_F(Sandbox, MpiRunsInsideWithTwoRanks) {
  if (::access("/usr/bin/mpirun", X_OK) != 0 || ::access("/usr/bin/mpicc", X_OK) != 0)
    GTEST_SKIP() << "SKIPPED: Open MPI (openmpi-bin, libopenmpi-dev) is not installed";
  // A real collective over the jail's own loopback, built here and shipped in the bundle.
  auto cc = mesh.run({"/usr/bin/mpicc", "-o", submit_dir + "/sum", source_path("tests/integration/mpi_sum.c")});
  ASSERT_EQ(cc.exit_code, 0) << cc.err;
  std::string out = run_to_end("mpi.sh", "#!/bin/bash\n#SBATCH --ntasks=2\n#OG --input=sum\n"
                                         "mpirun -np 2 ./sum 2>&1 | sort\n");
  EXPECT_EQ(out, "rank 0 of 2: sum 3\nrank 1 of 2: sum 3\n");
}

}  // namespace
}  // namespace og::test
