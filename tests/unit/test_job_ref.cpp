// Job ids as Slurm's commands take them: 42, 42_7, 42_[1-3,7], and lists of those.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "jobscripts/job_ref.hpp"

namespace og::jobscripts {
namespace {

TEST(JobRef, AJobATaskAndSomeTasks) {
  auto plain = parse_job_ref("42");
  EXPECT_EQ(plain.id, 42u);
  EXPECT_TRUE(plain.tasks.empty());
  auto one = parse_job_ref("16_2");
  EXPECT_EQ(one.id, 16u);
  EXPECT_EQ(one.tasks, (std::vector<uint32_t>{2}));
  auto some = parse_job_ref("10_[3-5,9]");
  EXPECT_EQ(some.id, 10u);
  EXPECT_EQ(some.tasks, (std::vector<uint32_t>{3, 4, 5, 9}));
  EXPECT_EQ(to_string(some), "10_[3-5,9]");
  EXPECT_EQ(to_string(one), "16_2");
  EXPECT_EQ(to_string(plain), "42");
}

TEST(JobRef, AListSplitsOnlyOutsideBrackets) {
  auto refs = parse_job_refs("1,10_[1,3],7_2");
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].id, 1u);
  EXPECT_EQ(refs[1].tasks, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(refs[2].tasks, (std::vector<uint32_t>{2}));
  EXPECT_TRUE(parse_job_refs("").empty());
}

TEST(JobRef, WhatIsNotAJobIdIsRefusedWithTheForms) {
  for (const char* text : {"x", "0", "16_", "16_x", "16_[]", "16_[1-3%2]", "16_[3-1]", "_2", "16_2_3", "-1", "16_[1"}) {
    try {
      parse_job_ref(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("42_7"), std::string::npos) << text << ": " << e.what();
    }
  }
}

TEST(JobRef, TasksFoldIntoRanges) {
  EXPECT_EQ(fold_task_ids({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
  EXPECT_EQ(fold_task_ids({3}), "3");
  EXPECT_EQ(fold_task_ids({}), "");
}

}  // namespace
}  // namespace og::jobscripts
