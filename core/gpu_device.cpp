#include "core/gpu_device.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace og {
namespace {

// The whole number at `key` (or `fallback` when absent), at most `max`; nullopt for
// anything else — nlohmann's get<> would cast a float (1e121: undefined) or wrap -1.
std::optional<uint64_t> whole_number(const nlohmann::json& j, const char* key, uint64_t fallback, uint64_t max) {
  if (!j.contains(key)) return fallback;
  const auto& v = j[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max) return std::nullopt;
  return v.get<uint64_t>();
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

uint64_t part_value(std::string_view part) {
  uint64_t v = 0;
  for (char c : part) {
    if (c < '0' || c > '9' || v > 1'000'000) return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

[[noreturn]] void invalid(const std::string& what) { throw ApiError(Refusal::Invalid, "invalid_field", what); }

}  // namespace

std::string gpu_model_of(std::string_view name) {
  std::istringstream words{std::string(name)};
  for (std::string word; words >> word;) {
    std::string l = lower(word);
    if (l == "nvidia" || l == "tesla" || l == "geforce" || l == "quadro") continue;
    // "GeForce RTX 4090" → "rtx4090": the line's name alone says nothing.
    if (std::string next; (l == "rtx" || l == "gtx" || l == "titan") && words >> next) l += lower(next);
    return l;
  }
  return "";
}

bool same_gpu_model(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

bool is_version(std::string_view text) {
  auto dot = text.find('.');
  auto digits = [](std::string_view s) {
    return !s.empty() && s.size() <= 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return dot != std::string_view::npos && digits(text.substr(0, dot)) && digits(text.substr(dot + 1));
}

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto next = [](std::string_view& s) {
      auto dot = s.find('.');
      std::string_view part = s.substr(0, dot);
      s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
      return part_value(part);
    };
    uint64_t x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

nlohmann::json to_json(const GpuDevice& gpu) {
  return {{"index", gpu.index},   {"minor", gpu.minor},   {"uuid", gpu.uuid},
          {"name", gpu.name},     {"model", gpu.model},   {"memory_mb", gpu.memory_mb},
          {"compute_capability", gpu.compute_capability}, {"mig", gpu.mig}};
}

nlohmann::json gpu_offer_fields(const std::vector<GpuDevice>& gpus, const std::string& cuda_version,
                                const std::string& driver_version, const std::map<std::string, int64_t>& prices) {
  nlohmann::json j = nlohmann::json::object();
  if (!gpus.empty()) {
    j["gpu_devices"] = nlohmann::json::array();
    for (const auto& g : gpus) j["gpu_devices"].push_back(to_json(g));
  }
  if (!cuda_version.empty()) j["cuda_version"] = cuda_version;
  if (!driver_version.empty()) j["driver_version"] = driver_version;
  if (!prices.empty()) j["gpu_prices"] = prices;
  return j;
}

GpuDevice gpu_device_from_json(const nlohmann::json& j) {
  if (!j.is_object()) invalid("each of gpu_devices must be an object");
  GpuDevice g;
  auto index = j.contains("index") ? whole_number(j, "index", 0, UINT32_MAX) : std::nullopt;
  auto minor = index ? whole_number(j, "minor", *index, UINT32_MAX) : std::nullopt;
  auto memory = whole_number(j, "memory_mb", 0, UINT64_MAX);
  if (!index || !minor || !memory)
    invalid("gpu_devices: index (required), minor and memory_mb are whole numbers; uuid, name, model and "
            "compute_capability text");
  g.index = static_cast<uint32_t>(*index);
  g.minor = static_cast<uint32_t>(*minor);
  g.memory_mb = *memory;
  try {
    g.uuid = j.value("uuid", "");
    g.name = j.value("name", "");
    g.model = lower(j.value("model", gpu_model_of(g.name)));
    g.compute_capability = j.value("compute_capability", "");
    g.mig = j.value("mig", false);
  } catch (const nlohmann::json::exception&) {
    invalid("gpu_devices: uuid, name, model and compute_capability are text");
  }
  if (g.index >= kMaxGpuDevices) invalid("a GPU's index must be below " + std::to_string(kMaxGpuDevices));
  auto plain = [](const std::string& s, size_t max) {
    return s.size() <= max && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
  };
  if (g.model.empty() || !plain(g.model, 64) || g.model.find_first_of(" ,:=") != std::string::npos)
    invalid("a GPU's model must be 1-64 printable characters without spaces, ',', ':' or '='");
  if (!plain(g.uuid, 128) || !plain(g.name, 128)) invalid("a GPU's uuid and name are at most 128 printable characters");
  if (!g.compute_capability.empty() && !is_version(g.compute_capability))
    invalid("a GPU's compute_capability is MAJOR.MINOR");
  return g;
}

}  // namespace og
