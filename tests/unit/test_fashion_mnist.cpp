// Fashion-MNIST input: idx files (gzip or not) read exactly, malformed ones refused with
// what is wrong; and, where Debian's dataset-fashion-mnist is installed, the real thing.
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <filesystem>

#include "examples/train/fashion_mnist.hpp"
#include "temp_dir.hpp"

namespace og::train {
namespace {

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

void write_gzip(const std::string& path, const std::string& data) {
  gzFile out = gzopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(gzwrite(out, data.data(), static_cast<unsigned>(data.size())), static_cast<int>(data.size()));
  gzclose(out);
}

class IdxFiles : public ::testing::Test {
 protected:
  test::TempDir dir_{"og-idx-test"};
  std::string path(const std::string& name) { return (dir_.path() / name).string(); }
  // Three 2×2 images and their labels.
  std::string images = be32(0x803) + be32(3) + be32(2) + be32(2) + std::string("\x00\xff\x80\x01" "\x10\x20\x30\x40" "\xff\xff\x00\x00", 12);
  std::string labels = be32(0x801) + be32(3) + std::string("\x07\x00\x09", 3);
};

TEST_F(IdxFiles, GzipAndPlainFilesReadTheSame) {
  write_gzip(path("i.gz"), images);
  write_gzip(path("l.gz"), labels);
  Dataset d = load_idx(path("i.gz"), path("l.gz"));
  EXPECT_EQ(d.count, 3u);
  EXPECT_EQ(d.pixels(), 4u);
  ASSERT_EQ(d.images.size(), 12u);
  EXPECT_FLOAT_EQ(d.images[0], 0.0f);
  EXPECT_FLOAT_EQ(d.images[1], 1.0f);
  EXPECT_FLOAT_EQ(d.images[2], 128 / 255.0f);
  EXPECT_EQ(d.labels, (std::vector<uint8_t>{7, 0, 9}));
  std::FILE* f = std::fopen(path("i").c_str(), "wb");
  std::fwrite(images.data(), 1, images.size(), f);
  std::fclose(f);
  EXPECT_EQ(load_idx(path("i"), path("l.gz")).images, d.images);
}

TEST_F(IdxFiles, MalformedFilesAreRefusedNamingTheFile) {
  auto refused = [&](const std::string& imgs, const std::string& lbls, const std::string& says) {
    write_gzip(path("bad-i.gz"), imgs);
    write_gzip(path("bad-l.gz"), lbls);
    try {
      load_idx(path("bad-i.gz"), path("bad-l.gz"));
      ADD_FAILURE() << "accepted; expected: " << says;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad-"), std::string::npos) << "names the file: " << e.what();
    }
  };
  refused(labels, labels, "not an idx3-ubyte");
  refused(images, images, "not an idx1-ubyte");
  refused(images, be32(0x801) + be32(2) + "\x01\x02", "2 labels for 3 images");
  refused(images.substr(0, images.size() - 1), labels, "bytes of pixels");
  refused(images, be32(0x801) + be32(3) + "\x01\x02\x0c", "label 12");
  EXPECT_THROW(load_idx(path("missing"), path("missing")), std::runtime_error);
}

TEST(FashionMnist, TheDebianDatasetHas60kTrainingAnd10kTestImagesBalancedOverTenClasses) {
  if (!std::filesystem::exists(kFashionMnistDir))
    GTEST_SKIP() << "SKIPPED: dataset-fashion-mnist is not installed (scripts/install-deps.sh installs it)";
  Dataset train = load_fashion_mnist(kFashionMnistDir, "train");
  Dataset test = load_fashion_mnist(kFashionMnistDir, "t10k");
  EXPECT_EQ(train.count, 60'000u);
  EXPECT_EQ(test.count, 10'000u);
  EXPECT_EQ(train.rows, 28u);
  EXPECT_EQ(train.cols, 28u);
  std::array<size_t, 10> per_class{};
  for (uint8_t l : train.labels) ++per_class[l];
  for (size_t c : per_class) EXPECT_EQ(c, 6'000u);
}

}  // namespace
}  // namespace og::train
