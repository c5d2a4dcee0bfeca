// One GPU as a provider offers it and as og-schedd allocates it: the worker probes these
// (worker/gpu_probe), registers them with its partition, and og-schedd hands each replica
// a set of them by index. Models are compared the way --gres=gpu:TYPE:N names them.
#pragma once

#include <cstdint>
#include <string>
#include <map>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace og {

// A partition offers at most this many GPUs one by one (an allocation is a bit mask).
inline constexpr uint32_t kMaxGpuDevices = 64;

struct GpuDevice {
  uint32_t index = 0;     // nvidia-smi's index, in PCI bus order (SLURM_JOB_GPUS names these)
  uint32_t minor = 0;     // its device node: /dev/nvidiaMINOR
  std::string uuid;       // GPU-…
  std::string name;       // as the driver names it: "NVIDIA H100 80GB HBM3"
  std::string model;      // what jobs ask for: "h100" (gpu_model_of(name))
  uint64_t memory_mb = 0;
  std::string compute_capability;  // "9.0", "" when the driver does not say
  bool mig = false;       // MIG mode on: the GPU is offered whole all the same
};

// "NVIDIA H100 80GB HBM3" → "h100", "Tesla V100-SXM2-16GB" → "v100-sxm2-16gb", "NVIDIA
// GeForce RTX 4090" → "rtx4090": the first word past the vendor's and brand's, lower case.
std::string gpu_model_of(std::string_view name);
// Case-insensitive, as Slurm sites spell types either way (A100, a100).
bool same_gpu_model(std::string_view a, std::string_view b);

// "MAJOR.MINOR" (as CUDA and compute capabilities are written).
bool is_version(std::string_view text);
// Numeric, part by part: "12.10" > "12.4". Unparsable parts count as 0.
int compare_versions(std::string_view a, std::string_view b);

nlohmann::json to_json(const GpuDevice& gpu);
// A partition offer's GPU fields, as a worker registers them and og-schedd keeps and shows
// them: {"gpu_devices": [...], "cuda_version", "driver_version", "gpu_prices": {model:
// micros}}; fields without content are left out.
nlohmann::json gpu_offer_fields(const std::vector<GpuDevice>& gpus, const std::string& cuda_version,
                                const std::string& driver_version, const std::map<std::string, int64_t>& prices);
// Throws og::ApiError (code "invalid_field") naming what is wrong.
GpuDevice gpu_device_from_json(const nlohmann::json& j);

}  // namespace og
