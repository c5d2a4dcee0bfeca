// Fuzzy verification (--verify=fuzzy:TOL) off og-schedd's lock. Deciding whether two
// replicas' outputs agree within a tolerance means reading them (up to 1 GiB each) and
// comparing CSV or HDF5 values: seconds, during which every worker's poll — its
// heartbeat — must still be answered. So comparisons run on a thread of their own, one
// at a time, and each answer is handed to a callback that posts it to the job.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/verify_mode.hpp"

namespace og {

using ReadBlob = std::function<std::optional<std::string>(const std::string& sha256)>;

// The rule: the same files by path; those whose digests differ must be, under fuzzy,
// numeric outputs (CSV, HDF5) whose values are close, under image, images whose pixels
// are. Outputs come from providers: whatever they hold, a comparison that cannot be made
// says no.
bool outputs_close(const std::string& manifest_a_json, const std::string& manifest_b_json, const VerifyMode& mode,
                   const ReadBlob& read);

class OutputComparer {
 public:
  struct Request {
    uint64_t job_id = 0;  // whose verdict waits for the answer
    uint64_t a = 0, b = 0;  // the replicas (leases) compared
    std::string manifest_a, manifest_b;
    VerifyMode mode;
  };
  using Answer = std::function<void(const Request& request, bool agree)>;

  OutputComparer(ReadBlob read, Answer answer);
  ~OutputComparer();
  OutputComparer(const OutputComparer&) = delete;
  OutputComparer& operator=(const OutputComparer&) = delete;

  void compare(Request request);  // queued; answered on the comparer's thread
  void stop();                    // requests not yet started are dropped

 private:
  void run();

  ReadBlob read_;
  Answer answer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace og
