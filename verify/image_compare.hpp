// --verify=image: renders and generated images differ between honest replicas in the
// last bits of a few pixels (other CPUs, other math libraries, other sampler orders). Two
// PNG outputs agree when they decode (libpng) to images of the same size whose pixels,
// as 8-bit RGBA, are close: no channel differs by more than maxdiff, and/or the peak
// signal-to-noise ratio is at least psnr dB. Images above kMaxImagePixels are refused
// (they never agree) before anything is decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/verify_mode.hpp"

namespace og {

inline constexpr uint64_t kMaxImagePixels = 64ull << 20;  // 64 Mpx: 8192 x 8192, 256 MiB as RGBA

struct DecodedImage {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgba;  // width × height × 4, row by row
};

struct ImageDifference {
  int max_channel_diff = 0;  // the largest |a - b| over every channel of every pixel
  double psnr_db = 0;        // 10 log10(255² / mean squared error); infinite when equal
};

bool is_image_output(std::string_view path);  // .png (any case)
// nullopt for anything that is not a PNG libpng reads, or one above kMaxImagePixels.
std::optional<DecodedImage> decode_png(std::string_view bytes);
// nullopt when the sizes differ.
std::optional<ImageDifference> image_difference(const DecodedImage& a, const DecodedImage& b);
// a and b are whole files; whether they agree under the mode's image rules.
bool images_close(std::string_view a, std::string_view b, const VerifyMode& mode);

}  // namespace og
