// What srun says when a step ends, and the status it exits with, as Slurm 22.05's srun.
#include <gtest/gtest.h>

#include <csignal>

#include "worker/srun/step_environment.hpp"
#include "worker/srun/step_launch.hpp"
#include "worker/srun/step_outcome.hpp"

namespace og::srun {
namespace {

using Kind = TaskOutcome::Kind;

TaskOutcome exited(int code) { return {Kind::kExited, code}; }
TaskOutcome killed(int sig) { return {Kind::kSignaled, sig}; }

TEST(StepOutcome, RecordsRoundTrip) {
  for (TaskOutcome o : {exited(0), exited(3), killed(SIGKILL), TaskOutcome{Kind::kStopped, SIGTERM}}) {
    auto back = decode(encode(o));
    ASSERT_TRUE(back) << encode(o);
    EXPECT_EQ(back->kind, o.kind);
    EXPECT_EQ(back->value, o.value);
  }
  EXPECT_FALSE(decode("exit"));
  EXPECT_FALSE(decode("garbage 3"));
  EXPECT_FALSE(decode(""));
}

TEST(StepOutcome, TaskRanges) {
  EXPECT_EQ(task_ranges({0}), "0");
  EXPECT_EQ(task_ranges({0, 1}), "0-1");
  EXPECT_EQ(task_ranges({0, 1, 3, 4, 5, 7}), "0-1,3-5,7");
}

TEST(StepOutcome, LinesAndStatusAsSrunGivesThem) {
  using Lines = std::vector<std::string>;
  EXPECT_EQ(outcome_lines("p1", "7.0", {exited(0), exited(0)}), Lines{});
  EXPECT_EQ(step_exit_code({exited(0), exited(0)}), 0);
  EXPECT_EQ(outcome_lines("p1", "7.0", {exited(3), exited(4)}),
            (Lines{"srun: error: p1: task 0: Exited with exit code 3", "srun: error: p1: task 1: Exited with exit code 4"}));
  EXPECT_EQ(step_exit_code({exited(3), exited(4)}), 4) << "the highest";
  EXPECT_EQ(outcome_lines("p1", "7.0", {exited(2), exited(2)}), Lines{"srun: error: p1: tasks 0-1: Exited with exit code 2"});
  EXPECT_EQ(outcome_lines("p1", "7.5", {exited(0), killed(SIGKILL)}),
            (Lines{"srun: error: p1: task 1: Killed", "srun: Force Terminated StepId=7.5"}));
  EXPECT_EQ(step_exit_code({exited(0), killed(SIGKILL)}), 137);
  EXPECT_EQ(outcome_lines("p1", "7.1", {killed(SIGSEGV)}), Lines{"srun: error: p1: task 0: Segmentation fault"})
      << "one task: nothing else to terminate";
  EXPECT_EQ(step_exit_code({killed(SIGSEGV)}), 139);
  // Stopped with the step (mpirun ending the rest of an MPI step): not the step's failure.
  std::vector<TaskOutcome> mpi = {TaskOutcome{Kind::kStopped, SIGTERM}, killed(SIGKILL), exited(1)};
  EXPECT_EQ(outcome_lines("p1", "7.2", mpi),
            (Lines{"srun: error: p1: task 1: Killed", "srun: Force Terminated StepId=7.2",
                   "srun: error: p1: task 2: Exited with exit code 1"}));
  EXPECT_EQ(step_exit_code(mpi), 137);
  EXPECT_EQ(step_exit_code({TaskOutcome{Kind::kStopped, SIGTERM}, exited(0)}), 143) << "the step was stopped";
  EXPECT_EQ(step_exit_code({TaskOutcome{}, exited(0)}), 1) << "a task nobody heard from";
}

TEST(StepOutcome, LabelsArePaddedToTheLastTasksNumber) {
  EXPECT_EQ(label_width(1), 1);
  EXPECT_EQ(label_width(10), 1);
  EXPECT_EQ(label_width(11), 2);
}

std::vector<std::string_view> as_envp_views(const std::vector<std::string>& strings) {
  return {strings.begin(), strings.end()};
}

const Environment kCaller = {{"SLURM_JOB_ID", "7"}, {"SLURM_NTASKS", "4"}, {"SLURM_JOB_CPUS_PER_NODE", "4"},
                             {"OG_JOB_DIR", "/j"},  {"PATH", "/usr/bin"},  {"FOO", "1"}};

Environment step_env(const std::string& export_spec, uint32_t ntasks = 3) {
  StepRequest step;
  step.ntasks = ntasks;
  step.cpus_per_task = 1;
  step.export_spec = export_spec;
  return step_environment(step, kCaller, Allocation{"7", "p1", 1, 4}, 4, 022);
}

TEST(StepEnvironment, TheStepsVariables) {
  Environment env = step_env("ALL");
  EXPECT_EQ(env["SLURM_STEP_ID"], "4");
  EXPECT_EQ(env["SLURM_STEPID"], "4");
  EXPECT_EQ(env["SLURM_STEP_NUM_TASKS"], "3");
  EXPECT_EQ(env["SLURM_NTASKS"], "3") << "the step's, no longer the job's 4";
  EXPECT_EQ(env["SLURM_STEP_NODELIST"], "p1");
  EXPECT_EQ(env["SLURM_GTIDS"], "0,1,2");
  EXPECT_EQ(env["SLURM_UMASK"], "0022");
  EXPECT_EQ(env["SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_0"], "4");
  EXPECT_EQ(env["SLURM_DISTRIBUTION"], "block");
  EXPECT_EQ(step_env("ALL", 1)["SLURM_DISTRIBUTION"], "cyclic") << "one task per node";
  add_task_variables(env, 2);
  EXPECT_EQ(env["SLURM_PROCID"], "2");
  EXPECT_EQ(env["SLURM_LOCALID"], "2");
  EXPECT_EQ(env["SLURM_NODEID"], "0");
}

TEST(StepEnvironment, ExportKeepsWhatItNames) {
  EXPECT_EQ(step_env("ALL")["FOO"], "1");
  Environment none = step_env("NONE");
  EXPECT_FALSE(none.count("FOO"));
  EXPECT_FALSE(none.count("PATH"));
  EXPECT_EQ(none["SLURM_JOB_ID"], "7") << "SLURM_* always";
  EXPECT_EQ(none["OG_JOB_DIR"], "/j");
  Environment added = step_env("ALL,BAR=2");
  EXPECT_EQ(added["FOO"], "1");
  EXPECT_EQ(added["BAR"], "2");
  Environment named = step_env("BAR=2,FOO");
  EXPECT_EQ(named["FOO"], "1") << "named without a value: the caller's";
  EXPECT_EQ(named["BAR"], "2");
  EXPECT_FALSE(named.count("PATH")) << "no ALL: the rest stays out (Slurm 22.05)";
  EXPECT_THROW(step_env("ALL,1BAD=x"), SrunError);
}

TEST(StepEnvironment, AssignmentsReadBack) {
  Environment env = from_assignments({"A=1", "B=x=y", "junk", "C="});
  EXPECT_EQ(env, (Environment{{"A", "1"}, {"B", "x=y"}, {"C", ""}}));
  auto only_a = [](std::string_view name) { return name == "A"; };
  EXPECT_EQ(from_assignments({"A=1", "B=2"}, only_a), (Environment{{"A", "1"}}));
  EXPECT_EQ(from_assignments(as_envp_views(as_envp(env))), env) << "as_envp's inverse";
}

TEST(StepEnvironment, ProgramsAreLookedForOnTheTasksPath) {
  EXPECT_EQ(path_candidates({{"PATH", "/a:/b"}}, "prog"), (std::vector<std::string>{"/a/prog", "/b/prog"}));
  EXPECT_EQ(path_candidates({{"PATH", ":/b"}}, "prog"), (std::vector<std::string>{"./prog", "/b/prog"}));
  EXPECT_EQ(path_candidates({{"PATH", "/a"}}, "./prog"), std::vector<std::string>{"./prog"});
  EXPECT_TRUE(path_candidates({}, "prog").empty()) << "--export=NONE: no PATH, nothing found, as in Slurm";
}

}  // namespace
}  // namespace og::srun
