#include "verify/image_compare.hpp"

#include <png.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

namespace og {

bool is_image_output(std::string_view path) {
  if (path.size() < 4) return false;
  std::string ext(path.substr(path.size() - 4));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png";
}

std::optional<DecodedImage> decode_png(std::string_view bytes) {
  // libpng's simplified API: it reports errors through the image (no longjmp reaches us).
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return std::nullopt;
  if (image.width == 0 || image.height == 0 || uint64_t{image.width} * image.height > kMaxImagePixels) {
    png_image_free(&image);
    return std::nullopt;
  }
  image.format = PNG_FORMAT_RGBA;  // any bit depth, palette or gray, as 8-bit RGBA
  DecodedImage out;
  out.width = image.width;
  out.height = image.height;
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
    png_image_free(&image);
    return std::nullopt;
  }
  return out;
}

std::optional<ImageDifference> image_difference(const DecodedImage& a, const DecodedImage& b) {
  if (a.width != b.width || a.height != b.height || a.rgba.size() != b.rgba.size()) return std::nullopt;
  ImageDifference d;
  uint64_t squared = 0;
  for (size_t i = 0; i < a.rgba.size(); ++i) {
    int diff = std::abs(int(a.rgba[i]) - int(b.rgba[i]));
    d.max_channel_diff = std::max(d.max_channel_diff, diff);
    squared += uint64_t(diff * diff);
  }
  double mse = a.rgba.empty() ? 0 : double(squared) / double(a.rgba.size());
  d.psnr_db = mse == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(255.0 * 255.0 / mse);
  return d;
}

bool images_close(std::string_view a, std::string_view b, const VerifyMode& mode) {
  auto da = decode_png(a);
  if (!da) return false;
  auto db = decode_png(b);
  if (!db) return false;
  auto d = image_difference(*da, *db);
  if (!d) return false;
  if (mode.max_channel_diff >= 0 && d->max_channel_diff > mode.max_channel_diff) return false;
  if (mode.min_psnr_db > 0 && d->psnr_db < mode.min_psnr_db) return false;
  return true;
}

}  // namespace og
