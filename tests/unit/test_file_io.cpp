#include "core/file_io.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/temp_dir.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WriteFileBeneath, WritesNestedFilesAndReplacesAnEarlierOne) {
  test::TempDir dir("file-io");
  write_file_beneath(dir.path().string(), "a/b/c.txt", "one");
  write_file_beneath(dir.path().string(), "a/b/c.txt", "two");
  EXPECT_EQ(slurp(dir.path().string() + "/a/b/c.txt"), "two");
}

TEST(WriteFileBeneath, NeverFollowsALinkOnTheWayOrAtTheEnd) {
  test::TempDir dir("file-io");
  fs::create_directories(dir.path().string() + "/target");
  fs::create_directories(dir.path().string() + "/outside");
  fs::create_directory_symlink("../outside", dir.path().string() + "/target/data");
  EXPECT_THROW(write_file_beneath(dir.path().string() + "/target", "data/pwned.txt", "x"), std::runtime_error);
  fs::create_symlink("../outside/file.txt", dir.path().string() + "/target/file.txt");
  EXPECT_THROW(write_file_beneath(dir.path().string() + "/target", "file.txt", "x"), std::runtime_error);
  EXPECT_TRUE(fs::is_empty(dir.path().string() + "/outside"));
}

TEST(WriteFileBeneath, RefusesPathsThatLeaveTheDirectory) {
  test::TempDir dir("file-io");
  for (const char* bad : {"../x", "/etc/x", "a/../../x", "a//b", "./x", ""})
    EXPECT_THROW(write_file_beneath(dir.path().string(), bad, "x"), std::runtime_error) << bad;
  EXPECT_TRUE(fs::is_empty(dir.path().string()));
}

TEST(WriteFileBeneath, RefusesToWriteIntoAFifo) {
  test::TempDir dir("file-io");
  ASSERT_EQ(::mkfifo((dir.path().string() + "/pipe").c_str(), 0644), 0);
  EXPECT_THROW(write_file_beneath(dir.path().string(), "pipe", "x"), std::runtime_error);
}

}  // namespace
}  // namespace og
