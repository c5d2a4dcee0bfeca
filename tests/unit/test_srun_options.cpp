// srun's command line inside a job, read as Slurm's srun reads it (getopt_long), with the
// batch job's SLURM_* variables as its defaults.
#include <gtest/gtest.h>

#include "worker/srun/srun_options.hpp"

namespace og::srun {
namespace {

const Environment kJob = {{"SLURM_JOB_ID", "7"},        {"SLURMD_NODENAME", "p1"}, {"SLURM_NTASKS", "4"},
                          {"SLURM_CPUS_PER_TASK", "1"}, {"SLURM_CPUS_ON_NODE", "4"}, {"SLURM_JOB_NUM_NODES", "1"},
                          {"SLURM_NNODES", "1"}};

StepRequest parse(const std::vector<std::string>& args, const Environment& env = kJob, Mpi mpi = Mpi::kPmix) {
  return parse_srun_args(args, env, mpi);
}

// The error srun would print and its status.
std::pair<std::string, int> refusal(const std::vector<std::string>& args, const Environment& env = kJob) {
  try {
    parse(args, env);
  } catch (const SrunError& e) {
    return {e.what(), e.exit_code};
  }
  return {"accepted", 0};
}

TEST(SrunOptions, EveryFormOfTheTaskCount) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"-n2", "a"}, {"-n", "2", "a"}, {"--ntasks=2", "a"},
                                                                 {"--ntasks", "2", "a"}}) {
    StepRequest step = parse(args);
    EXPECT_EQ(step.ntasks, 2u) << args[0];
    EXPECT_EQ(step.command, std::vector<std::string>{"a"}) << args[0];
  }
  StepRequest clustered = parse({"-ln2", "a"});  // getopt clusters short options
  EXPECT_TRUE(clustered.label);
  EXPECT_EQ(clustered.ntasks, 2u);
  EXPECT_TRUE(parse({"--label", "a"}).label);
}

TEST(SrunOptions, TheJobsVariablesAreTheDefaults) {
  StepRequest step = parse({"hostname"});
  EXPECT_EQ(step.ntasks, 4u) << "SLURM_NTASKS";
  EXPECT_EQ(step.cpus_per_task, 1u);
  EXPECT_EQ(step.nodes, 1u);
  EXPECT_EQ(step.mpi, Mpi::kPmix);
  Environment env = kJob;
  env["SLURM_CPUS_PER_TASK"] = "2";
  env["SLURM_MPI_TYPE"] = "none";
  env["SLURM_LABELIO"] = "1";
  step = parse({"hostname"}, env);
  EXPECT_EQ(step.cpus_per_task, 2u);
  EXPECT_EQ(step.mpi, Mpi::kNone);
  EXPECT_TRUE(step.label);
  EXPECT_EQ(parse({"-c", "3", "x"}).cpus_per_task, 3u);
  env["SRUN_CPUS_PER_TASK"] = "4";
  EXPECT_EQ(parse({"x"}, env).cpus_per_task, 4u) << "srun's own variable first";
  EXPECT_EQ(parse({"--ntasks-per-node=3", "x"}).ntasks, 3u) << "one node: its tasks are the step's";
  env = kJob;
  env.erase("SLURM_NTASKS");
  env["SLURM_NTASKS_PER_NODE"] = "2";
  EXPECT_EQ(parse({"x"}, env).ntasks, 2u);
  EXPECT_EQ(parse({"-N", "1-2", "x"}).nodes, 1u) << "a range: its minimum";
}

TEST(SrunOptions, TheCommandIsEverythingFromTheFirstWord) {
  StepRequest step = parse({"-n", "2", "python", "-u", "train.py", "--lr", "1"});
  EXPECT_EQ(step.command, (std::vector<std::string>{"python", "-u", "train.py", "--lr", "1"}));
  EXPECT_EQ(parse({"-n2", "--", "-weird-name"}).command, std::vector<std::string>{"-weird-name"});
  EXPECT_EQ(refusal({"-n2"}), std::make_pair(std::string("srun: fatal: No command given to execute."), 1));
}

TEST(SrunOptions, MalformedCommandLinesAreRefusedAsSrunRefusesThem) {
  auto [unknown, code] = refusal({"--no-such-option", "x"});
  EXPECT_EQ(unknown, "srun: unrecognized option '--no-such-option'\nTry \"srun --help\" for more information");
  EXPECT_EQ(code, 255);
  EXPECT_EQ(refusal({"-y", "x"}).first.substr(0, 31), "srun: invalid option -- 'y'\nTry");
  EXPECT_EQ(refusal({"-y", "x"}).second, 255);
  EXPECT_EQ(refusal({"-n"}).second, 255) << refusal({"-n"}).first;
  EXPECT_NE(refusal({"-n"}).first.find("requires an argument"), std::string::npos);
  EXPECT_EQ(refusal({"--nt=2", "x"}).second, 255) << "ambiguous: --ntasks, --ntasks-per-node, ...";
  EXPECT_EQ(refusal({"-n", "two", "x"}), std::make_pair(std::string("srun: error: Invalid numeric value \"two\" for --ntasks."), 1));
  EXPECT_EQ(refusal({"-n", "0", "x"}).second, 1);
  EXPECT_EQ(refusal({"-c", "-1", "x"}).second, 1);
}

TEST(SrunOptions, OptionsOpenGridIgnoresWarnOnceAndKeepTheirValues) {
  StepRequest step = parse({"--exclusive", "-u", "--cpu-bind", "cores", "--exclusive", "-K", "--mem=4G", "prog"});
  EXPECT_EQ(step.command, std::vector<std::string>{"prog"}) << "--cpu-bind's value is not the command";
  ASSERT_EQ(step.warnings.size(), 5u);  // exclusive, unbuffered, cpu-bind, kill-on-bad-exit, mem
  EXPECT_EQ(step.warnings[0], "srun: warning: --exclusive is not supported by OpenGrid yet and is ignored");
  EXPECT_TRUE(parse({"-Q", "-u", "x"}).quiet);
}

TEST(SrunOptions, OptionsThatWouldSendOutputElsewhereAreRefused) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-o", "out.txt", "x"}, {"--error=e.txt", "x"}, {"-i", "in", "x"}, {"--multi-prog", "conf"}, {"--pty", "bash"}}) {
    auto [message, code] = refusal(args);
    EXPECT_EQ(code, 1) << args[0];
    EXPECT_NE(message.find("is not supported on OpenGrid partitions"), std::string::npos) << message;
  }
}

TEST(SrunOptions, MpiTypes) {
  EXPECT_EQ(parse({"--mpi=none", "x"}).mpi, Mpi::kNone);
  EXPECT_EQ(parse({"--mpi=pmix_v4", "x"}, kJob, Mpi::kNone).mpi, Mpi::kPmix);
  EXPECT_EQ(parse({"x"}, kJob, Mpi::kNone).mpi, Mpi::kNone) << "the default where mpirun is missing";
  EXPECT_EQ(parse({"--mpi=list"}).info, StepRequest::Info::kMpiList);
  EXPECT_EQ(refusal({"--mpi=bogus", "x"}),
            std::make_pair(std::string("srun: error: Invalid MPI type 'bogus', --mpi=list for acceptable types"), 1));
}

TEST(SrunOptions, ExportAndChdir) {
  EXPECT_EQ(parse({"x"}).export_spec, "ALL");
  EXPECT_EQ(parse({"--export=NONE", "x"}).export_spec, "NONE");
  Environment env = kJob;
  env["SLURM_EXPORT_ENV"] = "NONE";
  EXPECT_EQ(parse({"x"}, env).export_spec, "NONE");
  EXPECT_EQ(parse({"--export=ALL", "x"}, env).export_spec, "ALL") << "given, it wins (as in Slurm)";
  EXPECT_EQ(parse({"-D", "sub", "x"}).chdir, "sub");
}

TEST(SrunOptions, AStepMustFitTheJob) {
  Allocation job = allocation_from(kJob);
  EXPECT_EQ(job.node, "p1");
  EXPECT_EQ(job.cpus, 4u);
  check_fits(parse({"-n4", "x"}), job);
  check_fits(parse({"-n2", "-c2", "x"}), job);
  try {
    check_fits(parse({"-n3", "-c2", "x"}), job);
    ADD_FAILURE() << "6 CPUs of 4";
  } catch (const SrunError& e) {
    EXPECT_STREQ(e.what(), "srun: error: Unable to create step for job 7: More processors requested than permitted");
    EXPECT_EQ(e.exit_code, 1);
  }
  try {
    check_fits(parse({"-N2", "x"}), job);
    ADD_FAILURE() << "2 nodes of 1";
  } catch (const SrunError& e) {
    EXPECT_STREQ(e.what(), "srun: error: Only allocated 1 nodes asked for 2");
  }
  Environment outside = kJob;
  outside.erase("SLURM_JOB_ID");
  EXPECT_THROW(allocation_from(outside), SrunError);
}

}  // namespace
}  // namespace og::srun
