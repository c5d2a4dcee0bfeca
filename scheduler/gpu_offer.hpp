// A partition's GPUs as its worker registers them and og-schedd keeps and shows them: each
// device, the driver's version and newest CUDA, and prices per model. One JSON shape for
// the registration body, the store and the partition views.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "scheduler/model.hpp"

namespace og {

// core/gpu_device.hpp's gpu_offer_fields of p.
nlohmann::json gpu_offer_json(const Partition& p);
// Reads those fields of `body` into p (absent ones: none). Throws og::ApiError naming what
// is wrong: more than kMaxGpuDevices, an index twice, a bad version or price.
void read_gpu_offer(const nlohmann::json& body, Partition& p);
// The stored text ("" for none); a stored offer that no longer reads leaves p without one.
std::string gpu_offer_text(const Partition& p);
void read_gpu_offer_text(const std::string& text, Partition& p);

}  // namespace og
