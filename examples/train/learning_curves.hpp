// What a training run reports: per-epoch metrics as CSV and JSON, and the learning
// curves as a PNG (loss above, accuracy below; blue train, orange test) drawn and
// encoded here (zlib for the compression), so the plot needs no graphics library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "examples/train/trainer.hpp"

namespace og::train {

std::string metrics_csv(const std::vector<EpochMetrics>& history);
std::string metrics_json(const std::vector<EpochMetrics>& history);
std::string learning_curves_png(const std::vector<EpochMetrics>& history);

// An 8-bit RGB image (width × height × 3 bytes, row-major) as a PNG file.
std::string encode_png(uint32_t width, uint32_t height, const std::vector<uint8_t>& rgb);

}  // namespace og::train
