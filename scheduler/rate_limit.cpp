#include "scheduler/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace og {

RateLimiter::Bucket& RateLimiter::refilled(const std::string& who, int64_t now_us) {
  if (now_us - last_sweep_us_ > 60'000'000) {
    // Full buckets hold nothing worth keeping.
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = it->second.tokens + double(now_us - it->second.at_us) / 1e6 * rate_ >= burst_ ? buckets_.erase(it) : ++it;
    last_sweep_us_ = now_us;
  }
  auto [it, fresh] = buckets_.try_emplace(who, Bucket{burst_, now_us});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst_, b.tokens + double(now_us - b.at_us) / 1e6 * rate_);
    b.at_us = now_us;
  }
  return b;
}

int64_t RateLimiter::retry_after_s(const Bucket& b) const {
  return std::max<int64_t>(1, int64_t(std::ceil((1 - b.tokens) / rate_)));
}

bool RateLimiter::allow(const std::string& who, int64_t now_us, int64_t& retry_after_s) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mu_);
  Bucket& b = refilled(who, now_us);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after_s = this->retry_after_s(b);
  return false;
}

bool RateLimiter::spent(const std::string& who, int64_t now_us, int64_t& retry_after_s) {
  if (rate_ <= 0) return false;
  std::lock_guard lock(mu_);
  const Bucket& b = refilled(who, now_us);
  if (b.tokens >= 1) return false;
  retry_after_s = this->retry_after_s(b);
  return true;
}

}  // namespace og
