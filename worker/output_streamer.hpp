// A running job's output, sent to og-schedd as it grows (about twice a second), so that
// its owner can follow it (og-tail, the dashboard). Each tick sends at most kChunkBytes
// per file: a job writing faster is followed by its newest bytes (og-schedd keeps the gap
// as such). Only while the job runs: once it has ended, its files travel with the result.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/http_client.hpp"
#include "jobscripts/filename_pattern.hpp"
#include "worker/backend.hpp"

namespace og {

class OutputStreamer {
 public:
  static constexpr uint64_t kChunkBytes = 64 * 1024;

  OutputStreamer(std::string url, std::string token, std::string ca_file, Backend& backend);
  ~OutputStreamer();
  // Follows a launched lease's files (paths relative to its job directory).
  void follow(uint64_t lease, const jobscripts::StdioFiles& files);
  // The lease has ended: its files go with its report.
  void forget(uint64_t lease);

 private:
  struct Followed {
    jobscripts::StdioFiles files;
    uint64_t out_sent = 0, err_sent = 0;  // bytes of each file og-schedd has
  };
  void loop();
  // Sends what `file` gained past `sent`; false when og-schedd wants no more of this lease.
  bool send_new_bytes(uint64_t lease, const std::string& job_dir, const std::string& file, const char* stream,
                      uint64_t& sent);

  std::string url_, token_, ca_file_;
  Backend& backend_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<uint64_t, Followed> followed_;
  std::unique_ptr<HttpClient> client_;  // the loop's only
  std::thread thread_;
};

}  // namespace og
