// --verify=image: the mode's syntax, and PNG outputs compared by their decoded pixels.
#include <gtest/gtest.h>

#include <png.h>
#include <zlib.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/verify_mode.hpp"
#include "verify/image_compare.hpp"

namespace og {
namespace {

// A PNG of w × h pixels (RGB, or gray), written by libpng.
std::string png(uint32_t w, uint32_t h, const std::vector<uint8_t>& pixels, bool gray = false) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

std::vector<uint8_t> gradient(uint32_t w, uint32_t h) {
  std::vector<uint8_t> p;
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) p.insert(p.end(), {uint8_t(x * 16), uint8_t(y * 32), 128});
  return p;
}

VerifyMode mode(const char* text) { return *parse_verify_mode(text); }

TEST(ImageCompareTest, TheModesSyntax) {
  auto both = parse_verify_mode("image:psnr=40,maxdiff=8");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->kind, VerifyMode::Kind::Image);
  EXPECT_DOUBLE_EQ(both->min_psnr_db, 40);
  EXPECT_EQ(both->max_channel_diff, 8);
  EXPECT_EQ(parse_verify_mode("image:maxdiff=0")->max_channel_diff, 0);
  EXPECT_EQ(parse_verify_mode("image:psnr=35.5")->max_channel_diff, -1);
  for (const char* bad : {"image", "image:", "image:psnr=0", "image:psnr=201", "image:maxdiff=256", "image:maxdiff=-1",
                          "image:psnr=40,psnr=30", "image:size=1", "image:psnr=40,", "image:psnr", "image:maxdiff=1.5"})
    EXPECT_FALSE(parse_verify_mode(bad).has_value()) << bad;
}

TEST(ImageCompareTest, PixelsWithinTheToleranceAgree) {
  auto pixels = gradient(4, 3);
  std::string a = png(4, 3, pixels);
  pixels[3 * (1 * 4 + 2) + 2] += 1;  // one channel of one pixel, one level
  std::string b = png(4, 3, pixels);
  ASSERT_NE(a, b);
  auto d = image_difference(*decode_png(a), *decode_png(b));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->max_channel_diff, 1);
  EXPECT_NEAR(d->psnr_db, 10 * std::log10(255.0 * 255.0 * 48), 1e-9);  // 1² over 4 × 3 × 4 channels
  EXPECT_TRUE(images_close(a, b, mode("image:maxdiff=1")));
  EXPECT_FALSE(images_close(a, b, mode("image:maxdiff=0")));
  EXPECT_TRUE(images_close(a, b, mode("image:psnr=60")));
  EXPECT_FALSE(images_close(a, b, mode("image:psnr=70")));
  EXPECT_FALSE(images_close(a, b, mode("image:psnr=60,maxdiff=0"))) << "both rules hold, or it disagrees";
  EXPECT_TRUE(std::isinf(image_difference(*decode_png(a), *decode_png(a))->psnr_db));
}

TEST(ImageCompareTest, OtherSizesGarbageAndHugeImagesNeverAgree) {
  std::string a = png(4, 3, gradient(4, 3));
  EXPECT_FALSE(images_close(a, png(3, 4, gradient(3, 4)), mode("image:maxdiff=255")));
  EXPECT_FALSE(images_close(a, "not a png", mode("image:maxdiff=255")));
  EXPECT_FALSE(images_close(a, a.substr(0, a.size() / 2), mode("image:maxdiff=255")));
  // A header claiming 100,000 × 100,000 pixels: refused before anything is decoded.
  std::string huge = a;
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) huge[at + i] = char(v >> (24 - 8 * i));
  };
  put32(16, 100000);
  put32(20, 100000);
  put32(29, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(huge.data() + 12), 17)));  // IHDR's CRC
  EXPECT_FALSE(decode_png(huge).has_value());
  put32(16, 4096);  // within the limit, the same header reads (and then lacks its data)
  put32(20, 4096);
  put32(29, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(huge.data() + 12), 17)));
  png_image probe{};
  probe.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_memory(&probe, huge.data(), huge.size()));
  EXPECT_EQ(probe.width, 4096u);
  png_image_free(&probe);
  // Gray, as any PNG, decodes to RGBA.
  auto gray = decode_png(png(2, 2, {0, 85, 170, 255}, true));
  ASSERT_TRUE(gray);
  EXPECT_EQ(gray->rgba, (std::vector<uint8_t>{0, 0, 0, 255, 85, 85, 85, 255, 170, 170, 170, 255, 255, 255, 255, 255}));
  EXPECT_TRUE(is_image_output("frames/0001.PNG"));
  EXPECT_FALSE(is_image_output("loss.csv"));
}

}  // namespace
}  // namespace og
