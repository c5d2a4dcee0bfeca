// What this machine offers: CPUs we may use, memory, and NVIDIA GPUs one by one
// (worker/gpu_probe, through nvidia-smi when it is installed; none otherwise).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "worker/gpu_probe.hpp"

namespace og {

struct Resources {
  uint32_t nodes = 1;  // a machine is one; a Slurm cluster offers its nodes
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  uint32_t gpus = 0;
  std::string gpu_type;  // the first GPU's model, e.g. "h100"
  // Each GPU offered; empty when there are none, or when --gpus offers GPUs nvidia-smi
  // does not see (counted, not bound: such jobs see every device).
  std::vector<GpuDevice> gpu_devices;
  std::string driver_version, cuda_version;
};

// CPUs and memory of this host.
Resources probe_resources();
// Offers the first `count` of the GPUs found (all of them when count is unset).
void offer_gpus(Resources& r, const GpuInventory& found, std::optional<uint32_t> count);

}  // namespace og
