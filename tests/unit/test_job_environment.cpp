// The environment a job starts with (SLURM_* for unmodified scripts, OG_*, the
// requester's exports) and where its --output file goes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "worker/job_environment.hpp"
#include "worker/job_dir.hpp"

namespace og {
namespace {

LeaseTask task(uint64_t job_id = 12) {
  LeaseTask t;
  t.lease_id = 99;
  t.job_id = job_id;
  t.user = "alice";
  t.spec.name = "train";
  t.spec.script = "#!/bin/sh\n";
  t.spec.ntasks = 4;
  t.spec.cpus_per_task = 2;
  t.spec.submit_dir = "/home/alice/project";
  return t;
}

const JobPlace kPlace{"p1", "/var/og/jobs/99", "/var/og/jobs/99/work", {}};

std::map<std::string, std::string> env_of(const LeaseTask& t, const JobPlace& place = kPlace) {
  std::map<std::string, std::string> out;
  for (const auto& entry : job_environment(t, place)) {
    auto eq = entry.find('=');
    EXPECT_NE(eq, std::string::npos) << entry;
    EXPECT_FALSE(out.count(entry.substr(0, eq))) << "duplicate " << entry;
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

TEST(JobEnvironmentTest, SlurmJobVariables) {
  auto env = env_of(task());
  EXPECT_EQ(env["SLURM_JOB_ID"], "12");
  EXPECT_EQ(env["SLURM_JOBID"], "12");
  EXPECT_EQ(env["SLURM_JOB_NAME"], "train");
  EXPECT_EQ(env["SLURM_JOB_USER"], "alice");
  EXPECT_EQ(env["SLURM_NTASKS"], "4");
  EXPECT_EQ(env["SLURM_NPROCS"], "4");
  EXPECT_EQ(env["SLURM_CPUS_PER_TASK"], "2");
  EXPECT_EQ(env["SLURM_CPUS_ON_NODE"], "8");
  EXPECT_EQ(env["SLURM_NNODES"], "1");
  EXPECT_EQ(env["SLURM_JOB_PARTITION"], "p1");
  EXPECT_EQ(env["SLURM_JOB_NODELIST"], "p1");
  EXPECT_EQ(env["SLURM_RESTART_COUNT"], "0");
  EXPECT_EQ(env["OG_JOB_ID"], "12");
  EXPECT_EQ(env["OG_LEASE_ID"], "99");
  EXPECT_EQ(env["OG_PARTITION"], "p1");
}

TEST(JobEnvironmentTest, SubmitDirIsTheJobDirectory) {
  auto env = env_of(task());
  EXPECT_EQ(env["SLURM_SUBMIT_DIR"], "/var/og/jobs/99");
  EXPECT_EQ(env["OG_JOB_DIR"], "/var/og/jobs/99");
  EXPECT_FALSE(env.count("OG_SUBMIT_DIR")) << "a path on the requester's machine";
  EXPECT_EQ(env["HOME"], "/var/og/jobs/99");
  EXPECT_EQ(env["PWD"], "/var/og/jobs/99/work");
  EXPECT_EQ(env["TMPDIR"], "/var/og/jobs/99/.og");
}

TEST(JobEnvironmentTest, ArrayVariablesOnlyForArrayTasks) {
  auto plain = env_of(task());
  EXPECT_FALSE(plain.count("SLURM_ARRAY_TASK_ID"));
  EXPECT_FALSE(plain.count("SLURM_ARRAY_JOB_ID"));
  LeaseTask t = task(14);
  t.array_job_id = 10;
  t.array_task_id = 0;
  auto env = env_of(t);
  EXPECT_EQ(env["SLURM_ARRAY_TASK_ID"], "0");
  EXPECT_EQ(env["SLURM_ARRAY_JOB_ID"], "10");
  EXPECT_EQ(env["SLURM_JOB_ID"], "14");
}

TEST(JobEnvironmentTest, AnArraysShapeAsSlurmGivesIt) {
  // What Slurm 22.05 set for these specs (count, min, max, step): a stride only from A-B:S.
  struct Case {
    const char* array;
    const char *count, *min, *max, *step;
  };
  for (const auto& c : {Case{"1-5:2%2", "3", "1", "5", "2"}, Case{"1,3,5", "3", "1", "5", "1"},
                        Case{"0-9%4", "10", "0", "9", "1"}, Case{"7", "1", "7", "7", "1"}}) {
    LeaseTask t = task(20);
    t.array_job_id = 20;
    t.array_task_id = 1;
    t.spec.array = c.array;
    auto env = env_of(t);
    EXPECT_EQ(env["SLURM_ARRAY_TASK_COUNT"], c.count) << c.array;
    EXPECT_EQ(env["SLURM_ARRAY_TASK_MIN"], c.min) << c.array;
    EXPECT_EQ(env["SLURM_ARRAY_TASK_MAX"], c.max) << c.array;
    EXPECT_EQ(env["SLURM_ARRAY_TASK_STEP"], c.step) << c.array;
  }
  EXPECT_FALSE(env_of(task()).count("SLURM_ARRAY_TASK_COUNT"));
}

TEST(JobEnvironmentTest, GpuVariablesOnlyWithGpus) {
  auto none = env_of(task());
  EXPECT_FALSE(none.count("CUDA_VISIBLE_DEVICES"));
  EXPECT_FALSE(none.count("SLURM_JOB_GPUS"));
  LeaseTask t = task();
  t.spec.gpus = 3;
  auto env = env_of(t);
  EXPECT_EQ(env["CUDA_VISIBLE_DEVICES"], "0,1,2");
  EXPECT_EQ(env["SLURM_JOB_GPUS"], "0,1,2");
  EXPECT_EQ(env["SLURM_STEP_GPUS"], "0,1,2");
  EXPECT_EQ(env["CUDA_VISIBLE_DEVICES"], "0,1,2");
  EXPECT_EQ(env["GPU_DEVICE_ORDINAL"], "0,1,2");
  EXPECT_EQ(env["SLURM_GPUS_ON_NODE"], "3");
  EXPECT_EQ(env["SLURM_GPUS"], "3");
}

TEST(JobEnvironmentTest, OptionalVariables) {
  auto plain = env_of(task());
  EXPECT_FALSE(plain.count("SLURM_MEM_PER_NODE"));
  EXPECT_FALSE(plain.count("SLURM_JOB_ACCOUNT"));
  LeaseTask t = task();
  t.spec.mem_per_cpu_mb = 100;
  t.spec.account = "acct";
  t.requeue_count = 2;
  auto env = env_of(t);
  EXPECT_EQ(env["SLURM_MEM_PER_CPU"], "100");
  EXPECT_FALSE(env.count("SLURM_MEM_PER_NODE")) << "Slurm sets it for --mem only";
  LeaseTask per_node = task();
  per_node.spec.mem_mb = 200;
  EXPECT_EQ(env_of(per_node)["SLURM_MEM_PER_NODE"], "200");
  EXPECT_EQ(env["SLURM_JOB_ACCOUNT"], "acct");
  EXPECT_EQ(env["SLURM_RESTART_COUNT"], "2");
}

TEST(JobEnvironmentTest, RequesterExportsArePresent) {
  LeaseTask t = task();
  t.spec.environment = {{"MY_SETTING", "a=b,c"}, {"EMPTY", ""}, {"LANG", "de_DE.UTF-8"}};
  auto env = env_of(t);
  EXPECT_EQ(env["MY_SETTING"], "a=b,c");
  ASSERT_TRUE(env.count("EMPTY"));
  EXPECT_EQ(env["EMPTY"], "");
  EXPECT_EQ(env["LANG"], "de_DE.UTF-8");
  EXPECT_EQ(env_of(task())["LANG"], "C.UTF-8");  // the default when not exported
}

TEST(JobEnvironmentTest, OpenMpiLaunchesLocallyUnlessTheJobSaysOtherwise) {
  auto env = env_of(task());
  EXPECT_EQ(env["OMPI_MCA_plm"], "^slurm") << "SLURM_* would send mpirun looking for srun";
  EXPECT_EQ(env["OMPI_MCA_ras"], "^slurm");
  auto t = task();
  t.spec.environment = {{"OMPI_MCA_plm", "rsh"}};
  EXPECT_EQ(env_of(t)["OMPI_MCA_plm"], "rsh");
}

TEST(JobEnvironmentTest, RequesterCannotOverrideOurVariables) {
  LeaseTask t = task();
  t.spec.environment = {{"SLURM_JOB_ID", "666"},        {"OG_JOB_ID", "666"},
                        {"PATH", "/evil"},              {"HOME", "/root"},
                        {"SLURM_SUBMIT_DIR", "/elsewhere"}, {"USER", "root"}};
  auto env = env_of(t);
  EXPECT_EQ(env["SLURM_JOB_ID"], "12");
  EXPECT_EQ(env["OG_JOB_ID"], "12");
  EXPECT_NE(env["PATH"], "/evil");
  EXPECT_EQ(env["HOME"], "/var/og/jobs/99");
  EXPECT_EQ(env["SLURM_SUBMIT_DIR"], "/var/og/jobs/99");
  EXPECT_EQ(env["USER"], "alice");
}

TEST(JobEnvironmentTest, OurSrunComesFirstOnPath) {
  // A provider with Slurm installed has /usr/bin/srun, which knows nothing of this job.
  JobPlace place = kPlace;
  place.tools_dir = "/var/og/jobs/99/.og/bin";
  EXPECT_EQ(env_of(task(), place)["PATH"].rfind("/var/og/jobs/99/.og/bin:/usr/local/sbin:", 0), 0u);
  EXPECT_EQ(env_of(task())["PATH"].find(".og"), std::string::npos) << "no tools: nothing added";
}

TEST(JobEnvironmentTest, UserAndShellAreTheAccountTheJobRunsAs) {
  JobPlace place = kPlace;
  place.account = {"og-job", "/bin/sh"};
  auto env = env_of(task(), place);
  EXPECT_EQ(env["USER"], "og-job") << "as id -un says in the jail";
  EXPECT_EQ(env["LOGNAME"], "og-job");
  EXPECT_EQ(env["SHELL"], "/bin/sh");
  EXPECT_EQ(env["SLURM_JOB_USER"], "alice") << "the requester, as Slurm names the job's user";
  EXPECT_FALSE(current_account().name.empty());
}

TEST(OutputPathTest, Defaults) {
  EXPECT_EQ(output_path_for(task(12), "", "p1"), "slurm-12.out");
  LeaseTask t = task(14);
  t.array_job_id = 10;
  t.array_task_id = 3;
  EXPECT_EQ(output_path_for(t, "", "p1"), "slurm-10_3.out");
}

TEST(OutputPathTest, PatternsExpand) {
  EXPECT_EQ(output_path_for(task(12), "%x-%j.log", "p1"), "train-12.log");
  EXPECT_EQ(output_path_for(task(12), "logs/%u/%N.txt", "p1"), "logs/alice/p1.txt");
  EXPECT_EQ(output_path_for(task(12), "out-%5j.txt", "p1"), "out-00012.txt");
}

TEST(OutputPathTest, AbsolutePathKeepsOnlyTheFileName) {
  EXPECT_EQ(output_path_for(task(12), "/home/alice/out-%j.txt", "p1"), "out-12.txt");
  EXPECT_EQ(output_path_for(task(12), "/tmp/x.log", "p1"), "x.log");
  EXPECT_EQ(output_path_for(task(12), "/", "p1"), "slurm-12.out");
}

TEST(OutputPathTest, DotDotFallsBackToDefault) {
  EXPECT_EQ(output_path_for(task(12), "../escape.txt", "p1"), "slurm-12.out");
  EXPECT_EQ(output_path_for(task(12), "a/../../b.txt", "p1"), "slurm-12.out");
  EXPECT_EQ(output_path_for(task(12), "..", "p1"), "slurm-12.out");
  LeaseTask sneaky = task(12);
  sneaky.spec.name = "../../etc/cron.d/x";  // a job name expanding into ".."
  EXPECT_EQ(output_path_for(sneaky, "%x", "p1"), "slurm-12.out");
  LeaseTask t = task(14);
  t.array_job_id = 10;
  t.array_task_id = 1;
  EXPECT_EQ(output_path_for(t, "../%a", "p1"), "slurm-10_1.out");
}

}  // namespace
}  // namespace og
