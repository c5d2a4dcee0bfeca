// Where a fetched result's files go: nothing of the user's is overwritten unless it is the
// very version the job was given (or --force says so).
#include <gtest/gtest.h>

#include "cli/result_placement.hpp"

namespace og::cli {
namespace {

const std::string kGiven = std::string(64, 'a'), kJobs = std::string(64, 'b'), kEdited = std::string(64, 'c');

TEST(ResultPlacement, EachCase) {
  ResultFile unchanged_input{"data/in.txt", kGiven, kGiven};
  EXPECT_EQ(place_result_file(unchanged_input, kEdited, false), Placement::kUnchangedInput)
      << "an edit made while the job ran stays";
  EXPECT_EQ(place_result_file(unchanged_input, kGiven, true), Placement::kUnchangedInput) << "even forced";
  EXPECT_EQ(place_result_file(unchanged_input, std::nullopt, false), Placement::kWrite)
      << "into a fresh directory: the whole result";

  ResultFile changed_input{"data/in.txt", kJobs, kGiven};
  EXPECT_EQ(place_result_file(changed_input, kGiven, false), Placement::kWrite) << "the job's change of it";
  EXPECT_EQ(place_result_file(changed_input, kEdited, false), Placement::kBeside) << "changed on both sides";
  EXPECT_EQ(place_result_file(changed_input, kJobs, false), Placement::kAlreadyHere);

  ResultFile created{"result.txt", kJobs, std::nullopt};
  EXPECT_EQ(place_result_file(created, std::nullopt, false), Placement::kWrite);
  EXPECT_EQ(place_result_file(created, kEdited, false), Placement::kBeside) << "an earlier run's result stays";
  EXPECT_EQ(place_result_file(created, kEdited, true), Placement::kWrite) << "--force";
  EXPECT_EQ(place_result_file(created, "", false), Placement::kBeside) << "a directory in the way";
  EXPECT_EQ(place_result_file(created, kJobs, false), Placement::kAlreadyHere);
}

TEST(ResultPlacement, BesideNames) {
  EXPECT_EQ(beside_name("data/in.txt", 42), "data/in.job42.txt");
  EXPECT_EQ(beside_name("model.tar.gz", 7), "model.tar.job7.gz");
  EXPECT_EQ(beside_name("Makefile", 42), "Makefile.job42");
  EXPECT_EQ(beside_name(".env", 42), ".env.job42");
  EXPECT_EQ(beside_name("a.d/run", 42), "a.d/run.job42");
  EXPECT_EQ(beside_name("data/in.txt", 42, 2), "data/in.job42-2.txt") << "when the first is taken";
}

}  // namespace
}  // namespace og::cli
