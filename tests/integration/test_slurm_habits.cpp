// The commands Slurm users type by habit, on a mesh: og-sinfo -N/-s/-l/-o, og-squeue
// -l/-O, og-sacct -S/-E/--format/-p, og-scontrol show partition|node and update
// Partition=; their headers compared with Slurm 22.05's own where it can be asked.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/integration/local_slurm.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

// Line n (0-based) of a command's output.
std::string line(const std::string& text, size_t n) {
  std::istringstream in(text);
  std::string l;
  for (size_t i = 0; i <= n && std::getline(in, l); ++i) {
  }
  return l;
}

std::string left(const std::string& s, size_t width) { return s + std::string(width > s.size() ? width - s.size() : 0, ' '); }
std::string right(const std::string& s, size_t width) { return std::string(width > s.size() ? width - s.size() : 0, ' ') + s; }

class SlurmHabits : public ::testing::Test {
 protected:
  void SetUp() override {
    mesh.start_schedd();
    worker = mesh.start_worker(2);
    mesh.await_workers(1);
    job = mesh.sbatch({mesh.write_script("named.sh", "#!/bin/bash\n#SBATCH -J habit\ntrue\n")}, mesh.dir());
    ASSERT_EQ(mesh.wait_job(job)["job_state"], "COMPLETED");
  }
  std::string out(const std::vector<std::string>& argv) {
    auto r = mesh.run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  Mesh mesh;
  std::string worker;
  uint64_t job = 0;
};

TEST_F(SlurmHabits, SinfoForms) {
  EXPECT_EQ(line(out({"og-sinfo", "-N"}), 1), left(worker, 9) + " " + right("1", 6) + " " + right(worker, 9) + " " + left("idle", 6));
  std::string summary = out({"og-sinfo", "-s"});
  EXPECT_NE(line(summary, 1).find("0/1/0/1 " + worker), std::string::npos) << summary;
  std::string long_form = out({"og-sinfo", "-l"});
  EXPECT_NE(line(long_form, 0).find(" 20"), std::string::npos) << "the time first: " << long_form;
  EXPECT_EQ(out({"og-sinfo", "-h", "-o", "%P %C %c %G %t"}), worker + " 0/2/0/2 2 (null) idle\n");
  if (!slurm().why_not.empty()) GTEST_SKIP() << "SKIPPED (the Slurm comparison): " << slurm().why_not;
  EXPECT_EQ(line(out({"og-sinfo", "-N"}), 0), line(slurm().run("sinfo -N"), 0));
  EXPECT_EQ(line(summary, 0), line(slurm().run("sinfo -s"), 0));
  EXPECT_EQ(line(long_form, 1), line(slurm().run("sinfo -l"), 1));
}

TEST_F(SlurmHabits, SqueueForms) {
  std::string long_form = out({"og-squeue", "-l", "-t", "all"});
  EXPECT_NE(line(long_form, 2).find(" COMPLETE "), std::string::npos) << "STATE is 8 wide, as in squeue -l: " << long_form;
  std::string fields = out({"og-squeue", "-t", "all", "-O", "jobid,name:12,state"});
  EXPECT_EQ(line(fields, 1), left(std::to_string(job), 20) + left("habit", 12) + left("COMPLETED", 20));
  auto bad = mesh.run({"og-squeue", "-O", "jobid,bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown field \"bogus\""), std::string::npos) << bad.err;
  if (!slurm().why_not.empty()) GTEST_SKIP() << "SKIPPED (the Slurm comparison): " << slurm().why_not;
  EXPECT_EQ(line(long_form, 1), line(slurm().run("squeue -l"), 1));
  EXPECT_EQ(line(fields, 0), line(slurm().run("squeue -O jobid,name:12,state"), 0));
}

TEST_F(SlurmHabits, SacctForms) {
  std::string id = std::to_string(job);
  std::string parsable = out({"og-sacct", "-S", "now-1days", "-o", "jobid,jobname,state,exitcode", "-p"});
  EXPECT_EQ(parsable, "JobID|JobName|State|ExitCode|\n" + id + "|habit|COMPLETED|0:0|\n");
  EXPECT_EQ(out({"og-sacct", "-S", "midnight", "-n", "--format=jobid%6,jobname%8", "--parsable2"}), id + "|habit\n");
  EXPECT_EQ(out({"og-sacct", "-S", "now-1days", "-E", "2000-01-01", "-n", "-o", "jobid"}), "")
      << "-E: nothing started before 2000";
  std::string aligned = out({"og-sacct", "-S", "now-1days", "-o", "jobid,jobname%20,state"});
  EXPECT_EQ(line(aligned, 0), right("JobID", 12) + " " + right("JobName", 20) + " " + right("State", 10));
  EXPECT_EQ(line(aligned, 1), std::string(12, '-') + " " + std::string(20, '-') + " " + std::string(10, '-'));
  EXPECT_EQ(line(aligned, 2), right(id, 12) + " " + right("habit", 20) + " " + right("COMPLETED", 10));
  auto bad = mesh.run({"og-sacct", "-o", "jobid,maxrss"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown field \"maxrss\""), std::string::npos) << bad.err;
  EXPECT_NE(out({"og-sacct", "-e"}).find("JobID"), std::string::npos);
}

TEST_F(SlurmHabits, ScontrolShowsPartitionsAndNodesAndMovesAPendingJob) {
  std::string partition = out({"og-scontrol", "show", "partition"});
  EXPECT_NE(partition.find("PartitionName=" + worker + "\n"), std::string::npos) << partition;
  EXPECT_NE(partition.find("State=UP TotalCPUs=2 TotalNodes=1"), std::string::npos) << partition;
  std::string node = out({"og-scontrol", "show", "node", worker});
  EXPECT_NE(node.find("NodeName=" + worker + " CPUAlloc=0 CPUTot=2"), std::string::npos) << node;
  EXPECT_NE(node.find("State=IDLE Partitions=" + worker), std::string::npos) << node;
  EXPECT_EQ(mesh.run({"og-scontrol", "show", "node", "nosuch"}).exit_code, 2);

  uint64_t held = mesh.sbatch({"--hold", mesh.write_script("held.sh", "#!/bin/bash\ntrue\n")}, mesh.dir());
  auto refused = mesh.run({"og-scontrol", "update", "JobId=" + std::to_string(held), "Partition=nosuch"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("no partition named \"nosuch\""), std::string::npos) << refused.err;
  out({"og-scontrol", "update", "JobId=" + std::to_string(held), "Partition=" + worker});
  EXPECT_EQ(mesh.job(held)["partition"], worker);
  std::string shown = out({"og-scontrol", "show", "job", std::to_string(held)});
  EXPECT_NE(shown.find("updated by alice: partition " + worker), std::string::npos) << shown;
  EXPECT_NE(shown.find(" StartTime=Unknown EndTime=Unknown"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Quorum=1 "), std::string::npos) << "a majority of 1, as a number: " << shown;
}

}  // namespace
}  // namespace og::test
