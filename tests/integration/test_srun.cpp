// srun inside jobs on OpenGrid's own partitions. The same script runs under Slurm 22.05
// (scripts/slurm-local.sh) and on an OpenGrid partition, and what each printed is
// compared section by section: tasks and ranks, labels, sizes refused, exit codes, a task
// killed, malformed command lines, --export, step ids, and each task's SLURM_* names.
// Then, in the jail, what Slurm cannot be compared on: an MPI program under srun, the
// tasks inside the job's cgroup, and no task left behind when the job is cancelled.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/integration/local_slurm.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

// Run with --mpi=none where Slurm's tasks would be compared with mpirun's: this Slurm's
// default (MpiDefault=none); an OpenGrid step is an MPI job by default.
const char* const kScript = R"(#!/bin/bash
#SBATCH -N1 -n2 -c1 -t 5
exec 2>&1
echo "== ranks"; srun bash -c 'echo task $SLURM_PROCID local $SLURM_LOCALID node $SLURM_NODEID step $SLURM_STEP_ID of $SLURM_STEP_NUM_TASKS ntasks $SLURM_NTASKS'
echo "== label"; srun -l bash -c 'echo out; echo err >&2'
echo "== one task"; srun -n1 bash -c 'echo task $SLURM_PROCID of $SLURM_STEP_NUM_TASKS'
echo "== no newline"; srun -n1 -l printf 'no newline'; echo "<"
echo "== too many tasks"; srun -n3 true; echo rc=$?
echo "== too many nodes"; srun -N2 true; echo rc=$?
echo "== too many cpus"; srun -c2 true; echo rc=$?
echo "== exit codes"; srun bash -c 'exit $((SLURM_PROCID+3))'; echo rc=$?
echo "== same exit code"; srun bash -c 'exit 2'; echo rc=$?
echo "== one fails"; srun bash -c '[ $SLURM_PROCID = 1 ] && exit 5; echo zero done'; echo rc=$?
echo "== killed"; srun --mpi=none bash -c '[ $SLURM_PROCID = 1 ] && kill -9 $$; sleep 1; echo zero went on'; echo rc=$?
echo "== segfault"; srun -n1 bash -c 'kill -SEGV $$'; echo rc=$?
echo "== unknown option"; srun --no-such-option true; echo rc=$?
echo "== bad mpi"; srun --mpi=bogus true 2>/dev/null; echo rc=$?
echo "== export"; FOO=1 srun -n1 --export=ALL,BAR=2 bash -c 'echo FOO=$FOO BAR=$BAR'
echo "== export none"; FOO=1 srun -n1 --export=NONE /bin/bash -c 'echo FOO=$FOO'
echo "== not found"; srun ./no-such-program 2>/dev/null; echo rc=$?
echo "== step ids"; srun -n1 bash -c 'echo step $SLURM_STEP_ID'
echo "== env"; srun -l --mpi=none env
)";

// "== name" sections of a job's output, each one's lines sorted (tasks write side by
// side), with the node and job id in srun's messages made alike.
std::map<std::string, std::vector<std::string>> sections_of(const std::string& output) {
  static const std::regex node(R"(srun: error: [^:]+: task)"), step(R"(StepId=\d+\.)"), job(R"(for job \d+:)");
  std::map<std::string, std::vector<std::string>> sections;
  std::string current;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("== ", 0) == 0) {
      current = line.substr(3);
      sections[current];
      continue;
    }
    line = std::regex_replace(line, node, "srun: error: NODE: task");
    line = std::regex_replace(line, job, "for job JOB:");
    sections[current].push_back(std::regex_replace(line, step, "StepId=JOB."));
  }
  for (auto& [name, section] : sections) std::sort(section.begin(), section.end());
  return sections;
}

// Task 0's SLURM_* variables in the env section ("0: NAME=value").
std::map<std::string, std::string> task0_variables(const std::vector<std::string>& env_section) {
  std::map<std::string, std::string> vars;
  for (const auto& line : env_section)
    if (line.rfind("0: SLURM", 0) == 0 && line.find('=') != std::string::npos)
      vars[line.substr(3, line.find('=') - 3)] = line.substr(line.find('=') + 1);
  return vars;
}

TEST(SrunVsSlurm, TheSameScriptPrintsTheSame) {
  if (!slurm().why_not.empty()) GTEST_SKIP() << "SKIPPED: " << slurm().why_not;
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  std::string slurm_dir = mesh.dir() + "/slurm", og_dir = mesh.dir() + "/og";
  fs::create_directories(slurm_dir);
  fs::create_directories(og_dir);
  std::string script = mesh.write_script("steps.sh", kScript);

  std::string id = slurm().run("sbatch --parsable --chdir=" + slurm_dir + " -o out.txt " + script);
  id = id.substr(0, id.find_first_of(";\n"));
  ASSERT_TRUE(await([&] { return slurm().run("squeue -h -j " + id).empty(); }, std::chrono::seconds(60)))
      << slurm().run("squeue");
  auto theirs = sections_of(read_file(slurm_dir + "/out.txt"));
  ASSERT_TRUE(theirs.count("step ids")) << read_file(slurm_dir + "/out.txt");

  auto r = mesh.run({"og-sbatch", "--wait", "--parsable", "-o", "out.txt", script}, "alice", og_dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ours = sections_of(read_file(og_dir + "/out.txt"));

  for (const auto& [name, lines] : theirs) {
    if (name == "env") continue;
    EXPECT_EQ(ours[name], lines) << "section " << name << "\nours:\n" << read_file(og_dir + "/out.txt");
  }

  // Each task's SLURM_* names, those a Slurm step has that mean something here.
  const std::set<std::string> not_here = {"SLURM_CONF", "SLURM_WORKING_CLUSTER", "SLURM_JOB_UID", "SLURM_JOB_GID",
                                          "SLURM_SRUN_COMM_PORT", "SLURM_STEP_LAUNCHER_PORT"};
  auto their_vars = task0_variables(theirs["env"]), our_vars = task0_variables(ours["env"]);
  ASSERT_FALSE(their_vars.empty());
  for (const auto& [name, value] : their_vars) {
    if (!not_here.count(name)) {
      EXPECT_TRUE(our_vars.count(name)) << name << " (Slurm: " << value << ") is missing";
    }
  }
  for (const char* same : {"SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_GTIDS", "SLURM_STEP_NUM_TASKS",
                           "SLURM_STEP_NUM_NODES", "SLURM_STEP_TASKS_PER_NODE", "SLURM_NTASKS", "SLURM_NPROCS",
                           "SLURM_TASKS_PER_NODE", "SLURM_CPUS_PER_TASK", "SLURM_STEP_ID", "SLURM_STEPID",
                           "SLURM_DISTRIBUTION", "SLURM_UMASK", "SLURM_LAUNCH_NODE_IPADDR"})
    EXPECT_EQ(our_vars[same], their_vars[same]) << same;
  EXPECT_EQ(our_vars["SLURM_STEP_NODELIST"], our_vars["SLURMD_NODENAME"]);
  EXPECT_NE(our_vars["SLURM_TASK_PID"], "");
}

// Job uids of their own (test_sandbox.cpp's start at 3000000): tests side by side never
// share one.
const uint32_t kFirstJobUid = 3700000 + (static_cast<uint32_t>(::getpid()) % 10000) * 16;

class SrunInJail : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the jail needs root (namespaces, cgroups, per-job uids)";
    mesh.start_schedd();
    std::string uids = std::to_string(kFirstJobUid) + "-" + std::to_string(kFirstJobUid + 15);
    mesh.start_worker(2, {"--isolation", "jail", "--job-pids", "256", "--job-uids", uids});
    mesh.await_workers(1);
    submit_dir = mesh.dir() + "/submit";
    fs::create_directories(submit_dir);
  }
  // The job's output, once it ended in `state`.
  std::string run(const std::string& name, const std::string& script, const std::string& state = "COMPLETED") {
    uint64_t id = mesh.sbatch({mesh.write_script(name, script)}, submit_dir);
    return mesh.finished_output(id, submit_dir + "/" + name + ".d", state);
  }
  Mesh mesh;
  std::string submit_dir;
};

TEST_F(SrunInJail, AnMpiProgramRunsAsOneJobOfNRanks) {
  if (::access("/usr/bin/mpirun", X_OK) != 0 || ::access("/usr/bin/mpicc", X_OK) != 0)
    GTEST_SKIP() << "SKIPPED: Open MPI (openmpi-bin, libopenmpi-dev) is not installed";
  auto cc = mesh.run({"/usr/bin/mpicc", "-o", submit_dir + "/sum", source_path("tests/integration/mpi_sum.c")});
  ASSERT_EQ(cc.exit_code, 0) << cc.err;
  std::string out = run("mpi.sh",
                        "#!/bin/bash\n#SBATCH -n2\n#OG --input=sum\nexec 2>&1\n"
                        "srun ./sum | sort\nsrun -n1 ./sum\n"
                        "srun -l --mpi=pmix ./sum | sort\n");
  EXPECT_EQ(out, "rank 0 of 2: sum 3\nrank 1 of 2: sum 3\n"
                 "rank 0 of 1: sum 1\n"
                 "0: rank 0 of 2: sum 3\n1: rank 1 of 2: sum 3\n");
}

TEST_F(SrunInJail, TasksStayInTheJobsCgroupAndNamespaces) {
  std::string out = run("where.sh",
                        "#!/bin/bash\n#SBATCH -n2\nexec 2>&1\n"
                        "command -v srun | grep -o '/.og/bin/srun$'\n"
                        "cat /proc/self/cgroup > job.cg; readlink /proc/self/ns/pid > job.ns\n"
                        "srun bash -c 'cat /proc/self/cgroup > $SLURM_PROCID.cg; readlink /proc/self/ns/pid > $SLURM_PROCID.ns'\n"
                        "srun --mpi=none bash -c 'cat /proc/self/cgroup > n$SLURM_PROCID.cg'\n"
                        "for f in 0.cg 1.cg n0.cg n1.cg; do cmp -s job.cg $f && echo $f same; done\n"
                        "for f in 0.ns 1.ns; do cmp -s job.ns $f && echo $f same; done\n");
  EXPECT_EQ(out, "/.og/bin/srun\n0.cg same\n1.cg same\nn0.cg same\nn1.cg same\n0.ns same\n1.ns same\n");
}

TEST_F(SrunInJail, ARankKilledStopsTheOthers) {
  // Under mpirun an MPI job missing a rank would wait for it for ever: the rest is stopped.
  std::string out = run("killed.sh",
                        "#!/bin/bash\n#SBATCH -n2\nexec 2>&1\n"
                        "srun bash -c '[ $SLURM_PROCID = 1 ] && kill -9 $$; sleep 60; echo zero went on'\n"
                        "echo rc=$?\n");
  EXPECT_NE(out.find(": task 1: Killed\n"), std::string::npos) << out;
  EXPECT_NE(out.find("srun: Force Terminated StepId="), std::string::npos) << out;
  EXPECT_EQ(out.find("zero went on"), std::string::npos) << out;
  EXPECT_EQ(out.find("task 0"), std::string::npos) << "stopped with the step, not a failure of its own: " << out;
  EXPECT_NE(out.find("rc=137\n"), std::string::npos) << out;
}

// Processes whose command line is `command` (words separated by spaces).
size_t processes_running(const std::string& command) {
  size_t found = 0;
  for (const auto& [pid, cmd] : command_lines())
    if (cmd == command + " ") ++found;
  return found;
}

TEST(SrunOnAPartition, CancellingTheJobStopsEveryTask) {
  // Without a jail's cgroup to empty: mpirun gives each rank a process group of its own,
  // out of reach of the worker's kill of the job's group; srun passes the signal on.
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2, {"--kill-wait", "30"});
  mesh.await_workers(1);
  for (std::string mpi : {"pmix", "none"}) {
    std::string marker = mpi == "pmix" ? "sleep 3141" : "sleep 3142";
    uint64_t id = mesh.sbatch({mesh.write_script("long.sh", "#!/bin/bash\n#SBATCH -n2\nsrun --mpi=" + mpi + " " +
                                                                marker + "\n")},
                              mesh.dir());
    ASSERT_TRUE(await([&] { return processes_running(marker) == 2; })) << mpi << ": " << mesh.job(id).dump();
    auto cancel = mesh.run({"og-scancel", std::to_string(id)});
    ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
    EXPECT_TRUE(await([&] { return processes_running(marker) == 0; })) << mpi << ": tasks left behind";
    EXPECT_TRUE(mesh.await_state(id, "CANCELLED")) << mesh.job(id).dump();
  }
}

TEST(SrunOnAPartition, ALabelledStepEndsWithItsTasksNotWithWhatTheyLeftRunning) {
  // A task that leaves a process holding its output: the step still ends with the task.
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  std::string dir = mesh.dir() + "/out";
  fs::create_directories(dir);
  uint64_t id = mesh.sbatch({mesh.write_script("bg.sh", "#!/bin/bash\n#SBATCH -n1\nstart=$SECONDS\n"
                                                          "for mpi in none pmix; do srun -l --mpi=$mpi bash -c 'sleep 40 & echo hi'; done\n"
                                                          "[ $((SECONDS - start)) -lt 20 ] && echo prompt\n")},
                            dir);
  EXPECT_EQ(mesh.finished_output(id, dir), "0: hi\n0: hi\nprompt\n");
}

}  // namespace
}  // namespace og::test
