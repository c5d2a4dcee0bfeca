#include "examples/train/learning_curves.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace og::train {

std::string metrics_csv(const std::vector<EpochMetrics>& history) {
  std::string out = "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy\n";
  char line[160];
  for (const auto& m : history) {
    std::snprintf(line, sizeof line, "%llu,%llu,%.6f,%.6f,%.6f,%.6f\n", (unsigned long long)m.epoch,
                  (unsigned long long)m.step, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy);
    out += line;
  }
  return out;
}

std::string metrics_json(const std::vector<EpochMetrics>& history) {
  std::string out = "{\"epochs\":[";
  char item[220];
  for (size_t i = 0; i < history.size(); ++i) {
    const auto& m = history[i];
    std::snprintf(item, sizeof item,
                  "%s\n{\"epoch\":%llu,\"step\":%llu,\"train_loss\":%.6f,\"train_accuracy\":%.6f,"
                  "\"test_loss\":%.6f,\"test_accuracy\":%.6f}",
                  i ? "," : "", (unsigned long long)m.epoch, (unsigned long long)m.step, m.train_loss,
                  m.train_accuracy, m.test_loss, m.test_accuracy);
    out += item;
  }
  return out + "]}\n";
}

namespace {

void append_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char((v >> shift) & 0xff));
}

void append_chunk(std::string& out, const char* type, const std::string& data) {
  append_u32(out, uint32_t(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  append_u32(out, uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
}

// A 3×5 pixel font: each glyph is five rows of three bits, top row first.
uint16_t glyph(char c) {
  switch (c) {
    case '0': return 0b111'101'101'101'111;
    case '1': return 0b010'110'010'010'111;
    case '2': return 0b111'001'111'100'111;
    case '3': return 0b111'001'111'001'111;
    case '4': return 0b101'101'111'001'001;
    case '5': return 0b111'100'111'001'111;
    case '6': return 0b111'100'111'101'111;
    case '7': return 0b111'001'001'001'001;
    case '8': return 0b111'101'111'101'111;
    case '9': return 0b111'101'111'001'111;
    case '.': return 0b000'000'000'000'010;
    case 'A': return 0b010'101'111'101'101;
    case 'C': return 0b011'100'100'100'011;
    case 'E': return 0b111'100'110'100'111;
    case 'H': return 0b101'101'111'101'101;
    case 'I': return 0b111'010'010'010'111;
    case 'L': return 0b100'100'100'100'111;
    case 'N': return 0b110'101'101'101'101;
    case 'O': return 0b010'101'101'101'010;
    case 'P': return 0b110'101'110'100'100;
    case 'R': return 0b110'101'110'101'101;
    case 'S': return 0b011'100'010'001'110;
    case 'T': return 0b111'010'010'010'010;
    case 'U': return 0b101'101'101'101'111;
    case 'Y': return 0b101'101'010'010'010;
    default: return 0;
  }
}

struct Canvas {
  uint32_t width, height;
  std::vector<uint8_t> rgb;
  Canvas(uint32_t w, uint32_t h) : width(w), height(h), rgb(size_t(w) * h * 3, 255) {}

  void dot(int x, int y, uint32_t color) {
    if (x < 0 || y < 0 || x >= int(width) || y >= int(height)) return;
    uint8_t* p = rgb.data() + (size_t(y) * width + size_t(x)) * 3;
    p[0] = uint8_t(color >> 16), p[1] = uint8_t(color >> 8), p[2] = uint8_t(color);
  }
  void fill(int x0, int y0, int x1, int y1, uint32_t color) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) dot(x, y, color);
  }
  // A line two pixels thick, stepped along its longer axis.
  void line(double x0, double y0, double x1, double y1, uint32_t color) {
    int steps = int(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0))) + 1;
    for (int i = 0; i <= steps; ++i) {
      double t = double(i) / steps;
      fill(int(std::lround(x0 + (x1 - x0) * t)), int(std::lround(y0 + (y1 - y0) * t)),
           int(std::lround(x0 + (x1 - x0) * t)) + 1, int(std::lround(y0 + (y1 - y0) * t)) + 1, color);
    }
  }
  // Text at scale 2 (6×10 pixels a glyph, 2 pixels apart).
  void text(int x, int y, const std::string& s, uint32_t color) {
    for (char c : s) {
      uint16_t g = glyph(c);
      for (int row = 0; row < 5; ++row)
        for (int col = 0; col < 3; ++col)
          if (g >> (14 - (row * 3 + col)) & 1) fill(x + col * 2, y + row * 2, x + col * 2 + 1, y + row * 2 + 1, color);
      x += 8;
    }
  }
};

constexpr uint32_t kTrain = 0x1f77b4, kTest = 0xff7f0e, kInk = 0x222222, kGrid = 0xdddddd;

std::string number(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", v);
  return s;
}

void panel(Canvas& c, int top, int bottom, const std::string& title, const std::vector<EpochMetrics>& h,
           double (*train)(const EpochMetrics&), double (*test)(const EpochMetrics&), double lo, double hi) {
  const int left = 70, right = int(c.width) - 20;
  for (int i = 0; i <= 4; ++i) {
    int y = bottom - (bottom - top) * i / 4;
    c.fill(left, y, right, y, kGrid);
  }
  c.fill(left, top, left, bottom, kInk);
  c.fill(left, bottom, right, bottom, kInk);
  c.text(left, top - 16, title, kInk);
  c.text(8, top - 4, number(hi), kInk);
  c.text(8, bottom - 6, number(lo), kInk);
  c.fill(right - 150, top - 12, right - 134, top - 9, kTrain);
  c.text(right - 128, top - 16, "TRAIN", kInk);
  c.fill(right - 70, top - 12, right - 54, top - 9, kTest);
  c.text(right - 48, top - 16, "TEST", kInk);
  auto x_at = [&](size_t i) { return h.size() < 2 ? (left + right) / 2.0 : left + (right - left) * double(i) / double(h.size() - 1); };
  auto y_at = [&](double v) { return bottom - (bottom - top) * std::clamp((v - lo) / (hi - lo), 0.0, 1.0); };
  for (auto [series, color] : {std::pair{train, kTrain}, std::pair{test, kTest}})
    for (size_t i = 0; i < h.size(); ++i) {
      if (!std::isfinite(series(h[i]))) continue;  // a diverged run: no point to draw
      double x = x_at(i), y = y_at(series(h[i]));
      c.fill(int(x) - 2, int(y) - 2, int(x) + 3, int(y) + 3, color);
      if (i > 0 && std::isfinite(series(h[i - 1]))) c.line(x_at(i - 1), y_at(series(h[i - 1])), x, y, color);
    }
}

}  // namespace

std::string encode_png(uint32_t width, uint32_t height, const std::vector<uint8_t>& rgb) {
  if (rgb.size() != size_t(width) * height * 3) throw std::invalid_argument("encode_png: wrong pixel count");
  std::string raw;
  for (uint32_t y = 0; y < height; ++y) {
    raw.push_back('\0');  // filter type "none" for every row
    raw.append(reinterpret_cast<const char*>(rgb.data()) + size_t(y) * width * 3, size_t(width) * 3);
  }
  uLongf packed_size = compressBound(uLong(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                uLong(raw.size()), 9) != Z_OK)
    throw std::runtime_error("encode_png: zlib failed");
  packed.resize(packed_size);
  std::string header;
  append_u32(header, width);
  append_u32(header, height);
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, standard filters, no interlace
  std::string png("\x89PNG\r\n\x1a\n", 8);
  append_chunk(png, "IHDR", header);
  append_chunk(png, "IDAT", packed);
  append_chunk(png, "IEND", "");
  return png;
}

std::string learning_curves_png(const std::vector<EpochMetrics>& history) {
  Canvas c(640, 480);
  double max_loss = 0, min_acc = 1;
  for (const auto& m : history)
    for (double loss : {m.train_loss, m.test_loss})
      if (std::isfinite(loss)) max_loss = std::max(max_loss, loss);
  for (const auto& m : history) min_acc = std::min({min_acc, m.train_accuracy, m.test_accuracy});
  max_loss = max_loss > 0 ? max_loss * 1.05 : 1.0;
  min_acc = std::floor(min_acc * 20) / 20;
  if (min_acc >= 1) min_acc = 0.95;
  panel(c, 40, 210, "LOSS", history, [](const EpochMetrics& m) { return m.train_loss; },
        [](const EpochMetrics& m) { return m.test_loss; }, 0, max_loss);
  panel(c, 270, 440, "ACCURACY", history, [](const EpochMetrics& m) { return m.train_accuracy; },
        [](const EpochMetrics& m) { return m.test_accuracy; }, min_acc, 1.0);
  c.text(290, 456, "EPOCH", kInk);
  if (!history.empty()) {
    c.text(64, 456, std::to_string(history.front().epoch), kInk);
    std::string last = std::to_string(history.back().epoch);
    c.text(int(c.width) - 20 - int(last.size()) * 8, 456, last, kInk);
  }
  return encode_png(c.width, c.height, c.rgb);
}

}  // namespace og::train
