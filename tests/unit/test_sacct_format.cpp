// og-sacct --format: sacct's field names, any case, with widths.
#include <gtest/gtest.h>

#include "cli/sacct_format.hpp"
#include "core/error.hpp"

namespace og::cli {
namespace {

TEST(SacctFormat, NamesAndWidths) {
  auto columns = parse_sacct_format("jobid,JobName%20,STATE,elapsed,ncpus,nodelist");
  ASSERT_EQ(columns.size(), 6u);
  EXPECT_EQ(columns[0].name, "JobID");
  EXPECT_EQ(columns[0].width, 12u);
  EXPECT_EQ(columns[1].name, "JobName");
  EXPECT_EQ(columns[1].width, 20u);
  EXPECT_EQ(columns[2].name, "State");
  EXPECT_EQ(columns[4].name, "NCPUS");
  try {
    parse_sacct_format("jobid,maxrss");
    ADD_FAILURE() << "MaxRSS is not kept here";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown field \"maxrss\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("JobID"), std::string::npos) << "lists what works";
  }
  EXPECT_THROW(parse_sacct_format("jobid%x"), UsageError);
  EXPECT_THROW(parse_sacct_format(""), UsageError);
  EXPECT_EQ(parse_sacct_format(kDefaultSacctFormat).size(), 8u);
}

TEST(SacctFormat, Values) {
  nlohmann::json job = {{"job_id", 7},          {"name", "train"},  {"job_state", "FAILED"},
                        {"exit_code", 137},      {"cpus", 4},        {"start_time", 1000},
                        {"end_time", 1090},      {"memory_mb", 2048}, {"current_working_directory", "/home/a"}};
  auto value = [&](const char* format) { return sacct_value(job, parse_sacct_format(format)[0]); };
  EXPECT_EQ(value("jobid"), "7");
  EXPECT_EQ(value("jobname"), "train");
  EXPECT_EQ(value("state"), "FAILED");
  EXPECT_EQ(value("exitcode"), "0:9") << "killed by signal 9, as sacct shows it";
  EXPECT_EQ(value("elapsed"), "00:01:30");
  EXPECT_EQ(value("elapsedraw"), "90");
  EXPECT_EQ(value("cputime"), "00:06:00");
  EXPECT_EQ(value("cputimeraw"), "360");
  EXPECT_EQ(value("reqmem"), "2048M");
  EXPECT_EQ(value("workdir"), "/home/a");
}

}  // namespace
}  // namespace og::cli
