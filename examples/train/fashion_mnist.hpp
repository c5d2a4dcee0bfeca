// Fashion-MNIST as Debian's dataset-fashion-mnist ships it: idx files, gzip-compressed,
// under /usr/share/datasets/fashion-mnist/. Images become floats in [0, 1], one row of
// 784 per image; labels 0-9. Malformed files are refused with what is wrong and where.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace og::train {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct Dataset {
  size_t count = 0;
  size_t rows = 0, cols = 0;   // 28 × 28
  std::vector<float> images;   // count × rows × cols, row-major
  std::vector<uint8_t> labels; // count
  size_t pixels() const { return rows * cols; }
};

// The raw bytes of an idx file, gunzipped when it is gzip (or read as is).
std::string read_maybe_gzip(const std::string& path);
// An idx3-ubyte images file and its idx1-ubyte labels; throws std::runtime_error naming
// the file for a bad magic number, sizes that disagree, or a truncated file.
Dataset load_idx(const std::string& images_path, const std::string& labels_path);
// "train" (60,000 images) or "t10k" (10,000) from `dir`.
Dataset load_fashion_mnist(const std::string& dir, const std::string& split);

}  // namespace og::train
