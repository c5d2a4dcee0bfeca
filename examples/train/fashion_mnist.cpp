#include "examples/train/fashion_mnist.hpp"

#include <zlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

namespace og::train {
namespace {

uint32_t big_endian(const std::string& data, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

}  // namespace

std::string read_maybe_gzip(const std::string& path) {
  // gzread passes files that are not gzip through unchanged.
  std::unique_ptr<gzFile_s, int (*)(gzFile)> in(gzopen(path.c_str(), "rb"), gzclose);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    int n = gzread(in.get(), buffer, sizeof buffer);
    if (n < 0) throw std::runtime_error(path + ": not a readable gzip file");
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  std::string images = read_maybe_gzip(images_path), labels = read_maybe_gzip(labels_path);
  if (images.size() < 16 || big_endian(images, 0) != 0x00000803)
    throw std::runtime_error(images_path + ": not an idx3-ubyte images file (magic 0x00000803)");
  if (labels.size() < 8 || big_endian(labels, 0) != 0x00000801)
    throw std::runtime_error(labels_path + ": not an idx1-ubyte labels file (magic 0x00000801)");
  Dataset d;
  d.count = big_endian(images, 4);
  d.rows = big_endian(images, 8);
  d.cols = big_endian(images, 12);
  if (big_endian(labels, 4) != d.count)
    throw std::runtime_error(labels_path + ": " + std::to_string(big_endian(labels, 4)) + " labels for " +
                             std::to_string(d.count) + " images in " + images_path);
  if (d.rows == 0 || d.cols == 0 || d.rows > 4096 || d.cols > 4096 ||
      images.size() != 16 + d.count * d.pixels())
    throw std::runtime_error(images_path + ": " + std::to_string(images.size() - 16) + " bytes of pixels, expected " +
                             std::to_string(d.count) + " × " + std::to_string(d.rows) + " × " + std::to_string(d.cols));
  if (labels.size() != 8 + d.count) throw std::runtime_error(labels_path + ": truncated or too long");
  d.images.resize(d.count * d.pixels());
  for (size_t i = 0; i < d.images.size(); ++i) d.images[i] = static_cast<uint8_t>(images[16 + i]) / 255.0f;
  d.labels.assign(labels.begin() + 8, labels.end());
  for (uint8_t l : d.labels)
    if (l > 9) throw std::runtime_error(labels_path + ": label " + std::to_string(l) + " is not a class 0-9");
  return d;
}

Dataset load_fashion_mnist(const std::string& dir, const std::string& split) {
  if (split != "train" && split != "t10k") throw std::invalid_argument("split is train or t10k, not " + split);
  auto file = [&](const std::string& what) {
    std::string path = dir + "/" + split + "-" + what + "-idx" + (what == "images" ? "3" : "1") + "-ubyte";
    return std::filesystem::exists(path + ".gz") ? path + ".gz" : path;
  };
  return load_idx(file("images"), file("labels"));
}

}  // namespace og::train
