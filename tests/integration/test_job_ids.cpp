// Job ids as a Slurm user types them: an array's id, one task (ID_N), some tasks
// (ID_[a-b]); every command that names a job reads them alike, and acts on exactly those.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

class JobIds : public ::testing::Test {
 protected:
  void SetUp() override {
    mesh.start_schedd();
    for (int i = 0; i < 2; ++i) mesh.start_worker(2);
    mesh.await_workers(2);
  }
  // og-squeue's view of the jobs `ids` names: "ID_TASK" → state.
  std::map<std::string, std::string> states(const std::string& ids) {
    auto r = mesh.run({"og-squeue", "-r", "-j", ids, "-h", "-o", "%i %T"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> out;
    std::istringstream lines(r.out);
    for (std::string id, state; lines >> id >> state;) out[id] = state;
    return out;
  }
  Mesh mesh;
};

TEST_F(JobIds, CancellingOneTaskOfARunningArrayStopsExactlyThatTask) {
  std::string script = mesh.write_script("tasks.sh", "#!/bin/bash\n#SBATCH --array=0-2\n#SBATCH -t 5\nsleep 300\n");
  const std::string a = std::to_string(mesh.sbatch({script}));
  ASSERT_TRUE(await([&] {
    auto s = states(a);
    return s.size() == 3 && s[a + "_0"] == "RUNNING" && s[a + "_1"] == "RUNNING" && s[a + "_2"] == "RUNNING";
  })) << "three tasks running";

  auto cancel = mesh.run({"og-scancel", a + "_2"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  ASSERT_TRUE(await([&] { return states(a)[a + "_2"] == "CANCELLED"; }));
  auto s = states(a);
  EXPECT_EQ(s[a + "_0"], "RUNNING") << "the array's first task was not the one named";
  EXPECT_EQ(s[a + "_1"], "RUNNING");
  EXPECT_EQ(states(a + "_1"), (std::map<std::string, std::string>{{a + "_1", "RUNNING"}})) << "og-squeue -j ID_N";

  // The other commands read ID_N alike.
  auto shown = mesh.run({"og-scontrol", "show", "job", a + "_2"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("JobState=CANCELLED"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("JobState=RUNNING"), std::string::npos) << "only task 2 shown: " << shown.out;
  auto sacct = mesh.run({"og-sacct", "-j", a + "_2", "-n"});
  EXPECT_EQ(sacct.exit_code, 0) << sacct.err;
  EXPECT_NE(sacct.out.find(a + "_2"), std::string::npos) << sacct.out;
  EXPECT_EQ(sacct.out.find(a + "_0"), std::string::npos) << sacct.out;

  // The array's own id names every task left.
  EXPECT_EQ(mesh.run({"og-scancel", a}).exit_code, 0);
  EXPECT_TRUE(await([&] {
    auto all = states(a);
    return all[a + "_0"] == "CANCELLED" && all[a + "_1"] == "CANCELLED";
  }));
}

TEST_F(JobIds, BracketsNameSomeTasksAndWrongIdsAreErrors) {
  std::string script = mesh.write_script("held.sh", "#!/bin/bash\n#SBATCH --array=0-4\n#SBATCH --hold\ntrue\n");
  const std::string a = std::to_string(mesh.sbatch({script}));
  EXPECT_EQ(mesh.run({"og-scancel", a + "_[1-2]," + a + "_4"}).exit_code, 0);
  auto s = states(a);
  EXPECT_EQ(s[a + "_0"], "PENDING");
  EXPECT_EQ(s[a + "_1"], "CANCELLED");
  EXPECT_EQ(s[a + "_2"], "CANCELLED");
  EXPECT_EQ(s[a + "_3"], "PENDING");
  EXPECT_EQ(s[a + "_4"], "CANCELLED");
  // Without -r, the tasks still pending share one line, as squeue folds them.
  auto folded = mesh.run({"og-squeue", "-j", a, "-h", "-o", "%i %T"});
  EXPECT_NE(folded.out.find(a + "_[0,3] PENDING"), std::string::npos) << folded.out;
  EXPECT_NE(folded.out.find(a + "_1 CANCELLED"), std::string::npos) << folded.out;

  EXPECT_EQ(mesh.run({"og-scontrol", "release", a + "_3"}).exit_code, 0);
  EXPECT_TRUE(await([&] { return states(a + "_3")[a + "_3"] == "COMPLETED"; }));
  EXPECT_EQ(states(a + "_0")[a + "_0"], "PENDING") << "still held: only task 3 was released";

  auto missing = mesh.run({"og-scancel", a + "_9"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("Invalid job id specified"), std::string::npos) << missing.err;
  auto garbage = mesh.run({"og-scancel", a + "_x"});
  EXPECT_EQ(garbage.exit_code, 2) << garbage.err;
  EXPECT_NE(garbage.err.find("42_7"), std::string::npos) << "says what a job id looks like: " << garbage.err;
  EXPECT_EQ(states(a + "_0")[a + "_0"], "PENDING") << "an error cancels nothing";
  for (const char* command : {"og-squeue", "og-sacct"}) {  // every command: the same usage error
    auto typo = mesh.run({command, "-j", a + "x"});
    EXPECT_EQ(typo.exit_code, 2) << command << ": " << typo.err;
    EXPECT_NE(typo.err.find("42_7"), std::string::npos) << command << ": " << typo.err;
  }
}

TEST_F(JobIds, ADependencyOnAnArrayWaitsForEveryTaskAndABareIdIsAfterany) {
  std::string tasks = mesh.write_script("tasks.sh", "#!/bin/bash\n#SBATCH --array=0-3\nexit $SLURM_ARRAY_TASK_ID\n");
  std::string after = mesh.write_script("after.sh", "#!/bin/bash\ntrue\n");
  const std::string a = std::to_string(mesh.sbatch({tasks}));
  uint64_t ok = mesh.sbatch({"--dependency=afterok:" + a, after});
  uint64_t any = mesh.sbatch({"--dependency=" + a, after});  // Slurm reads a bare id as afterany
  auto done = mesh.wait_job(any);
  EXPECT_EQ(done["job_state"], "COMPLETED") << done.dump();
  EXPECT_TRUE(await([&] { return mesh.job(ok)["state_reason"] == "DependencyNeverSatisfied"; }))
      << "tasks 1-3 failed, so afterok on the array never holds: " << mesh.job(ok).dump();
}

}  // namespace
}  // namespace og::test
