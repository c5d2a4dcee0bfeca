// n random 28×28 "images" with labels 0-9, for trainer tests that need no real data.
#pragma once

#include "examples/train/fashion_mnist.hpp"
#include "examples/train/rng.hpp"

namespace og::train {

inline Dataset synthetic_dataset(size_t n, uint64_t seed) {
  Dataset d;
  d.count = n, d.rows = 28, d.cols = 28;
  Rng rng(seed);
  for (size_t i = 0; i < n * 784; ++i) d.images.push_back(rng.uniform());
  for (size_t i = 0; i < n; ++i) d.labels.push_back(uint8_t(rng.below(10)));
  return d;
}

}  // namespace og::train
