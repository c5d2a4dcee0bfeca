// A token bucket per credential, like Slurm's rl_* settings: each user may make `burst`
// requests at once and `rate` a second after that; beyond, og-schedd answers 429 with
// Retry-After. Buckets of users idle long enough to be full again are forgotten.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace og {

class RateLimiter {
 public:
  // rate 0: no limit.
  RateLimiter(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst < 1 ? 1 : burst) {}
  // True when `who` may make a request at now_us (monotonic); else the whole seconds
  // until one token is back, in retry_after_s.
  bool allow(const std::string& who, int64_t now_us, int64_t& retry_after_s);
  // True when `who` has no token left at now_us (retry_after_s as above); takes none.
  bool spent(const std::string& who, int64_t now_us, int64_t& retry_after_s);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_us = 0;
  };
  // who's bucket, refilled up to now_us (mu_ held).
  Bucket& refilled(const std::string& who, int64_t now_us);
  int64_t retry_after_s(const Bucket& b) const;
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int64_t last_sweep_us_ = 0;
};

}  // namespace og
