// libFuzzer target: --verify=image decodes PNG outputs that providers uploaded. The first
// two bytes give the length of the first image (little-endian), the rest is the second.
// Whatever the bytes, nothing crashes, nothing above kMaxImagePixels is decoded, and an
// image always agrees with itself.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "verify/image_compare.hpp"

namespace {

void check(bool promise) {
  if (!promise) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t first = std::min<size_t>(size - 2, size_t(data[0]) | size_t(data[1]) << 8);
  std::string_view a(reinterpret_cast<const char*>(data + 2), first), b(reinterpret_cast<const char*>(data + 2 + first), size - 2 - first);
  auto decoded = og::decode_png(a);
  if (decoded) {
    check(uint64_t{decoded->width} * decoded->height <= og::kMaxImagePixels);
    check(decoded->rgba.size() == uint64_t{decoded->width} * decoded->height * 4);
    auto same = og::image_difference(*decoded, *decoded);
    check(same && same->max_channel_diff == 0);
  }
  og::VerifyMode mode = *og::parse_verify_mode("image:psnr=30,maxdiff=8");
  bool ab = og::images_close(a, b, mode), ba = og::images_close(b, a, mode);
  check(ab == ba);
  return 0;
}
