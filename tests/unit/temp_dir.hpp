// A fresh directory under the system temp dir for one test, removed with everything in it
// when the TempDir goes away. Named <prefix>-<pid>-<clock>-<counter>, so parallel test
// processes and fixtures within one process never share one.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace og::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix)
      : path_(std::filesystem::temp_directory_path() /
              (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "-" +
               std::to_string(next_id()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;  // best effort: a destructor must not throw
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  static int next_id() {
    static std::atomic<int> counter{0};
    return counter++;
  }

  std::filesystem::path path_;
};

}  // namespace og::test
