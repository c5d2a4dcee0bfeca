// Slurm's -a/--array syntax.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "jobscripts/array_spec.hpp"

namespace og::jobscripts {
namespace {

std::vector<uint32_t> range(uint32_t first, uint32_t last, uint32_t step = 1) {
  std::vector<uint32_t> ids;
  for (uint32_t i = first; i <= last; i += step) ids.push_back(i);
  return ids;
}

TEST(ArraySpec, RangeWithThrottle) {
  ArraySpec spec = parse_array_spec("0-99%10");
  EXPECT_EQ(spec.task_ids, range(0, 99));
  EXPECT_EQ(spec.max_running, 10u);
}

TEST(ArraySpec, Forms) {
  struct Case {
    const char* text;
    std::vector<uint32_t> ids;
    uint32_t max_running;
  };
  const Case cases[] = {
      {"1,3,5", {1, 3, 5}, 0},
      {"0-15:4", {0, 4, 8, 12}, 0},
      {"1-10:3", {1, 4, 7, 10}, 0},
      {"7", {7}, 0},
      {"0", {0}, 0},
      {"1-10%2", range(1, 10), 2},
      {"5,1,3", {1, 3, 5}, 0},      // sorted
      {"0-3,2-5", range(0, 5), 0},  // overlaps merge
      {"1-3,10-12:2%1", {1, 2, 3, 10, 12}, 1},
      {"4000000", {4000000}, 0},
  };
  for (const auto& c : cases) {
    ArraySpec spec = parse_array_spec(c.text);
    EXPECT_EQ(spec.task_ids, c.ids) << c.text;
    EXPECT_EQ(spec.max_running, c.max_running) << c.text;
  }
}

TEST(ArraySpec, TenThousandTasksIsTheLimit) {
  EXPECT_EQ(parse_array_spec("0-9999").task_ids.size(), 10000u);
  EXPECT_EQ(parse_array_spec("0-9999,0-9999,0-9999").task_ids.size(), 10000u);
  EXPECT_THROW(parse_array_spec("0-10000"), UsageError);
  EXPECT_THROW(parse_array_spec("0-3999999"), UsageError);
  EXPECT_THROW(parse_array_spec("0-9999,20000"), UsageError);
}

TEST(ArraySpec, ErrorsSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"5-1", "ends before it starts"},
      {"0-15:0", "step"},
      {"0-10000", "more than 10000 tasks"},
      {"4000001", "above the maximum"},
      {"1-4000001", "above the maximum"},
      {"", "no task ids"},
      {"%5", "no task ids"},
      {"1-5%0", "throttle"},
      {"1-5%", "throttle"},
      {"1-5%x", "throttle"},
      {"1,,2", "is not a task id"},
      {"a-b", "is not a task id"},
      {"-1", "is not a task id"},
      {"1-3-5", "is not a task id"},
      {"3:2", "needs a range"},
      {"1-9:x", "step"},
      {"99999999999", "is not a task id"},
  };
  for (const auto& c : cases) {
    try {
      parse_array_spec(c.text);
      ADD_FAILURE() << "accepted \"" << c.text << "\"";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << c.text << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace og::jobscripts
