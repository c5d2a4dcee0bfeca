// Slurm-style output formatting of the og-* commands: format strings, job ids and the
// NODELIST(REASON) column.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_common.hpp"
#include "cli/job_fields.hpp"
#include "scheduler/json_views.hpp"

namespace og::cli {
namespace {

using nlohmann::json;

std::function<std::string(char)> fields(std::map<char, std::string> values) {
  return [values](char c) {
    auto it = values.find(c);
    return it == values.end() ? std::string("?") + c : it->second;
  };
}

TEST(FormatRowTest, DotRightJustifiesAndCuts) {
  EXPECT_EQ(format_row("%.5i", fields({{'i', "42"}})), "   42");
  EXPECT_EQ(format_row("%.5i", fields({{'i', "1234567"}})), "12345");
  EXPECT_EQ(format_row("%.5i", fields({{'i', "12345"}})), "12345");
}

TEST(FormatRowTest, WidthWithoutDotLeftJustifies) {
  EXPECT_EQ(format_row("%-5j", fields({{'j', "ab"}})), "ab   ");
  EXPECT_EQ(format_row("%5j", fields({{'j', "ab"}})), "ab   ");
  EXPECT_EQ(format_row("%-5j|", fields({{'j', "abcdefgh"}})), "abcde|");
}

TEST(FormatRowTest, NoWidthKeepsTheWholeValue) {
  EXPECT_EQ(format_row("%j", fields({{'j', "a long job name"}})), "a long job name");
  EXPECT_EQ(format_row("%.j", fields({{'j', "x"}})), "x");
}

TEST(FormatRowTest, LiteralTextAndPercent) {
  EXPECT_EQ(format_row("%%", fields({})), "%");
  EXPECT_EQ(format_row("100%% %i", fields({{'i', "7"}})), "100% 7");
  EXPECT_EQ(format_row("id=%i name=%j", fields({{'i', "7"}, {'j', "n"}})), "id=7 name=n");
  EXPECT_EQ(format_row("trailing %", fields({})), "trailing %");
  EXPECT_EQ(format_row("", fields({})), "");
}

TEST(FormatRowTest, EveryLetterGoesToTheCallback) {
  std::vector<char> asked;
  auto cb = [&](char c) {
    asked.push_back(c);
    return std::string(1, c);
  };
  EXPECT_EQ(format_row("%i %z %.3Q %-2#", cb), "i z   Q # ");
  EXPECT_EQ(asked, (std::vector<char>{'i', 'z', 'Q', '#'}));
}

TEST(FormatRowTest, SqueueDefaultLayout) {
  auto row = format_row("%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R",
                        fields({{'i', "17"}, {'P', "gpu"}, {'j', "train"}, {'u', "alice"},
                                {'t', "R"}, {'M', "1:02"}, {'D', "1"}, {'R', "p1"}}));
  EXPECT_EQ(row, "                17       gpu    train    alice  R       1:02      1 p1");
}

TEST(DisplayJobIdTest, PlainAndArrayIds) {
  EXPECT_EQ(display_job_id(json{{"job_id", 42}, {"array_task_id", nullptr}}), "42");
  EXPECT_EQ(display_job_id(json{{"job_id", 42}}), "42");
  EXPECT_EQ(display_job_id(json{{"job_id", 44}, {"array_job_id", 42}, {"array_task_id", 2}}),
            "42_2");
  EXPECT_EQ(display_job_id(json{{"job_id", 42}, {"array_job_id", 42}, {"array_task_id", 0}}),
            "42_0");
}

json view(JobState state, const std::string& reason, const std::string& nodelist,
          int64_t task = -1) {
  JobView v;
  v.job.id = 9;
  v.job.user = "alice";
  v.job.spec.name = "job";
  v.job.spec.script = "x";
  v.job.state = state;
  v.job.reason = reason;
  if (task >= 0) {
    v.job.array_job_id = 7;
    v.job.array_task_id = task;
  }
  v.nodelist = nodelist;
  return og::job_json(v);
}

TEST(JobFieldTest, PendingShowsReasonInParentheses) {
  EXPECT_EQ(job_field(view(JobState::Pending, "Resources", ""), 'R'), "(Resources)");
  EXPECT_EQ(job_field(view(JobState::Pending, "JobHeldUser", ""), 'R'), "(JobHeldUser)");
  // Even with a node list left from a previous (lost) run.
  EXPECT_EQ(job_field(view(JobState::Pending, "Requeued", "p1"), 'R'), "(Requeued)");
}

TEST(JobFieldTest, RunningShowsNodes) {
  EXPECT_EQ(job_field(view(JobState::Running, "None", "p1"), 'R'), "p1");
  EXPECT_EQ(job_field(view(JobState::Running, "None", "p1,p2,p3"), 'R'), "p1,p2,p3");
  EXPECT_EQ(job_field(view(JobState::Running, "None", "p1,p2"), 'N'), "p1,p2");
  // No nodes at all: the reason again.
  EXPECT_EQ(job_field(view(JobState::Cancelled, "None", ""), 'R'), "(None)");
}

TEST(JobFieldTest, OtherColumns) {
  json j = view(JobState::Running, "None", "p1", 3);
  EXPECT_EQ(job_field(j, 'i'), "7_3");
  EXPECT_EQ(job_field(j, 'A'), "9");
  EXPECT_EQ(job_field(j, 't'), "R");
  EXPECT_EQ(job_field(j, 'T'), "RUNNING");
  EXPECT_EQ(job_field(j, 'u'), "alice");
  EXPECT_EQ(job_field(j, 'j'), "job");
  EXPECT_EQ(job_field(j, 'P'), "p1");
  EXPECT_EQ(job_field(view(JobState::NodeFail, "NodeFail", ""), 't'), "NF");
  EXPECT_EQ(job_field(j, 'z'), "%z");
  EXPECT_EQ(job_header('R'), "NODELIST(REASON)");
  EXPECT_EQ(job_header('i'), "JOBID");
}

TEST(JobFieldTest, ReplicasAreShownAsReplicasNotNodes) {
  json j = view(JobState::Running, "None", "w1,w2,w3");
  j["replicas"] = 3;
  EXPECT_EQ(job_field(j, 'R'), "w1,w2,w3 (3 replicas)");
  EXPECT_EQ(job_field(j, 'N'), "w1,w2,w3") << "%N stays the bare list, for scripts";
  EXPECT_EQ(job_field(j, 'D'), "1") << "each replica's nodes";
}

TEST(JobFieldTest, TimeLimit) {
  json j = view(JobState::Pending, "None", "");
  j["time_limit_s"] = -1;
  EXPECT_EQ(job_field(j, 'l'), "UNLIMITED");
}

TEST(JobFieldTest, RowFromJobFields) {
  json j = view(JobState::Pending, "Priority", "");
  auto row = format_row("%.6i|%-8T|%R", [&](char c) { return job_field(j, c); });
  EXPECT_EQ(row, "     9|PENDING |(Priority)");
}

}  // namespace
}  // namespace og::cli
