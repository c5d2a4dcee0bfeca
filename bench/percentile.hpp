// The p-th percentile (0..1, nearest rank) of a sample, for the benchmark programs.
#pragma once

#include <algorithm>
#include <vector>

namespace og::bench {

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace og::bench
