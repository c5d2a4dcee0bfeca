#include "scheduler/gpu_offer.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/money.hpp"

namespace og {
namespace {

[[noreturn]] void invalid(const std::string& what) { throw ApiError(Refusal::Invalid, "invalid_field", what); }

}  // namespace

nlohmann::json gpu_offer_json(const Partition& p) {
  return gpu_offer_fields(p.gpu->gpu_devices, p.gpu->cuda_version, p.gpu->driver_version, p.gpu->gpu_prices);
}

void read_gpu_offer(const nlohmann::json& body, Partition& p) {
  auto offer = std::make_shared<GpuOffer>();
  if (body.contains("gpu_devices")) {
    const auto& list = body["gpu_devices"];
    if (!list.is_array() || list.size() > kMaxGpuDevices)
      invalid("gpu_devices must be a list of at most " + std::to_string(kMaxGpuDevices) + " GPUs");
    uint64_t seen = 0;
    for (const auto& item : list) {
      GpuDevice g = gpu_device_from_json(item);
      if (seen >> g.index & 1) invalid("gpu_devices lists GPU " + std::to_string(g.index) + " twice");
      seen |= uint64_t{1} << g.index;
      offer->gpu_devices.push_back(std::move(g));
    }
  }
  auto version = [&](const char* key) -> std::string {
    if (!body.contains(key)) return "";
    if (!body[key].is_string()) invalid(std::string(key) + " must be text");
    std::string v = body[key];
    if (v.size() > 32 || v.find_first_not_of("0123456789.") != std::string::npos)
      invalid(std::string(key) + " must be a version of digits and dots, e.g. 12.4");
    return v;
  };
  offer->cuda_version = version("cuda_version");
  offer->driver_version = version("driver_version");
  if (!offer->cuda_version.empty() && !is_version(offer->cuda_version)) invalid("cuda_version must be MAJOR.MINOR, e.g. 12.4");
  if (body.contains("gpu_prices")) {
    const auto& prices = body["gpu_prices"];
    if (!prices.is_object() || prices.size() > kMaxGpuDevices) invalid("gpu_prices must map GPU models to prices");
    for (const auto& [model, price] : prices.items()) {
      if (!price.is_number_integer() || price.get<int64_t>() < 0 || price.get<int64_t>() > kMaxAmountMicros)
        invalid("gpu_prices: the price of " + model + " must be from 0 to " + std::to_string(kMaxAmountMicros) + " micro-units");
      GpuDevice probe;
      probe.model = model;
      // The same rules as a device's model, and its case.
      offer->gpu_prices[gpu_device_from_json(to_json(probe)).model] = price.get<int64_t>();
    }
  }
  p.gpu = std::move(offer);
}

std::string gpu_offer_text(const Partition& p) {
  nlohmann::json j = gpu_offer_json(p);
  return j.empty() ? "" : j.dump();
}

void read_gpu_offer_text(const std::string& text, Partition& p) {
  if (text.empty()) return;
  try {
    read_gpu_offer(nlohmann::json::parse(text), p);
  } catch (const std::exception& e) {
    log_error("stored_gpu_offer_unreadable", {{"partition", p.name}, {"error", e.what()}});
    p.gpu = kNoGpuOffer;
  }
}

}  // namespace og
