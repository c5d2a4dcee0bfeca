// sbatch's %-patterns in --output/--error names.
#include <gtest/gtest.h>

#include "jobscripts/filename_pattern.hpp"

namespace og::jobscripts {
namespace {

PatternContext plain_job() {
  PatternContext ctx;
  ctx.job_id = 42;
  ctx.job_name = "hello";
  ctx.user = "alice";
  ctx.node = "node07";
  return ctx;
}

PatternContext array_task() {
  PatternContext ctx = plain_job();
  ctx.job_id = 105;
  ctx.array_job_id = 100;
  ctx.array_task_id = 7;
  return ctx;
}

struct PatternCase {
  const char* pattern;
  const char* expected;
};

TEST(FilenamePattern, PlainJob) {
  const PatternCase cases[] = {
      {"slurm-%j.out", "slurm-42.out"},
      {"%x-%j.log", "hello-42.log"},
      {"/home/%u/logs/%x.out", "/home/alice/logs/hello.out"},
      {"%N.out", "node07.out"},
      {"slurm-%A_%a.out", "slurm-42_4294967294.out"},  // sbatch's value outside arrays
      {"%4j", "0042"},
      {"%1j", "42"},
      {"%%j", "%j"},
      {"100%%", "100%"},
      {"%z", "%z"},
      {"%5z.out", "%5z.out"},
      {"out%", "out%"},
      {"out%12", "out%12"},
      {"no-patterns.txt", "no-patterns.txt"},
      {"", ""},
      {"%j%j", "4242"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(expand_filename_pattern(c.pattern, plain_job()), c.expected) << c.pattern;
  }
}

TEST(FilenamePattern, ArrayTask) {
  const PatternCase cases[] = {
      {"slurm-%A_%a.out", "slurm-100_7.out"},
      {"%j.out", "105.out"},
      {"%x_%3a.log", "hello_007.log"},
      {"%6A-%a", "000100-7"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(expand_filename_pattern(c.pattern, array_task()), c.expected) << c.pattern;
  }
}

TEST(FilenamePattern, TaskZeroIsAnArrayTask) {
  PatternContext ctx = array_task();
  ctx.array_task_id = 0;
  EXPECT_EQ(expand_filename_pattern("%a", ctx), "0");
}

TEST(FilenamePattern, HugeWidthIsCapped) {
  EXPECT_EQ(expand_filename_pattern("%999999999j", plain_job()).size(), 64u);
}

TEST(StdioFiles, WhereTheOutputAndErrorFilesLieInTheJobDirectory) {
  auto plain = stdio_files("", "", "", plain_job());
  EXPECT_EQ(plain.out, "slurm-42.out");
  EXPECT_EQ(plain.err, plain.out) << "no --error: one file";
  auto array = stdio_files("", "", "", array_task());
  EXPECT_EQ(array.out, "slurm-100_7.out");
  auto moved = stdio_files("/work/run", "logs/%x.out", "/abs/%j.err", plain_job());
  EXPECT_EQ(moved.out, "work/run/logs/hello.out") << "below the --chdir directory";
  EXPECT_EQ(moved.err, "work/run/42.err") << "an absolute path keeps its file name";
  EXPECT_EQ(stdio_files("", "../x", "", plain_job()).out, "slurm-42.out");
}

}  // namespace
}  // namespace og::jobscripts
