// og-bench-verify-image: what --verify=image costs og-schedd's comparer thread. Two
// W × H RGB frames (a gradient, the second with one level of noise in 1 % of its
// channels), PNG-encoded by libpng at its default level, then decoded and compared as
// verify/image_compare does for two replicas' outputs, ROUNDS times; prints the median.
// usage: og-bench-verify-image [W H [ROUNDS]]   (default 1920 1080 9)
#include <png.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench/percentile.hpp"
#include "verify/image_compare.hpp"

namespace {

std::string encode(uint32_t w, uint32_t h, const std::vector<uint8_t>& rgb) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&image, nullptr, &size, 0, rgb.data(), 0, nullptr);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, rgb.data(), 0, nullptr)) std::exit(1);
  out.resize(size);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t w = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[1])) : 1920;
  uint32_t h = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 1080;
  int rounds = argc > 3 ? std::atoi(argv[3]) : 9;
  std::vector<uint8_t> rgb(size_t{w} * h * 3);
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) {
      uint8_t* p = &rgb[(size_t{y} * w + x) * 3];
      p[0] = uint8_t(x * 255 / w), p[1] = uint8_t(y * 255 / h), p[2] = uint8_t((x ^ y) & 0xff);
    }
  std::string a = encode(w, h, rgb);
  std::mt19937 rng(7);
  for (auto& c : rgb)
    if (rng() % 100 == 0) c = uint8_t(c < 255 ? c + 1 : c - 1);
  std::string b = encode(w, h, rgb);
  og::VerifyMode mode = *og::parse_verify_mode("image:psnr=40,maxdiff=2");
  std::vector<double> compare_ms, decode_ms;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto decoded = og::decode_png(a);
    auto t1 = std::chrono::steady_clock::now();
    bool close = og::images_close(a, b, mode);
    auto t2 = std::chrono::steady_clock::now();
    if (!decoded || !close) return 1;
    decode_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    compare_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  std::printf("frames=%ux%u png_bytes=%zu,%zu decode_one_median_ms=%.1f compare_two_median_ms=%.1f rounds=%d\n", w, h,
              a.size(), b.size(), og::bench::percentile(decode_ms, 0.5), og::bench::percentile(compare_ms, 0.5), rounds);
}
