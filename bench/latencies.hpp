// Request latencies for the benchmark programs: gathered from many threads, printed as
// p50 / p99 / max.
#pragma once

#include <cstdio>
#include <mutex>
#include <vector>

#include "bench/percentile.hpp"
#include "core/time_util.hpp"

namespace og::bench {

class Latencies {
 public:
  void add(double ms) {
    std::lock_guard lock(mu_);
    ms_.push_back(ms);
  }
  double at(double p) {
    std::lock_guard lock(mu_);
    return percentile(ms_, p);
  }
  void print(const char* what) {
    std::lock_guard lock(mu_);
    std::printf("  %-28s n=%-7zu p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", what, ms_.size(), percentile(ms_, 0.5),
                percentile(ms_, 0.99), percentile(ms_, 1.0));
  }

 private:
  std::mutex mu_;
  std::vector<double> ms_;
};

// Runs f, adds its duration to l, returns what f returned.
template <typename F>
auto timed(Latencies& l, F f) {
  int64_t t0 = og::monotonic_us();
  auto r = f();
  l.add(static_cast<double>(og::monotonic_us() - t0) / 1000.0);
  return r;
}

}  // namespace og::bench
