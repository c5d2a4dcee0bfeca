// What a provider's NVIDIA GPUs are, one by one, as nvidia-smi (which ships with every
// driver) reports them: index, UUID, model, memory, compute capability, MIG mode, the
// driver's version and the newest CUDA it supports, and each GPU's device node.
#pragma once

#include <string>
#include <vector>

#include "core/gpu_device.hpp"

namespace og {

struct GpuInventory {
  std::vector<GpuDevice> gpus;  // in nvidia-smi's index order
  std::string driver_version;   // "550.54.15", "" without GPUs
  std::string cuda_version;     // "12.4": the highest CUDA the driver runs, "" unknown
};

// The fields asked of nvidia-smi, in the order parse_gpu_query reads them.
inline constexpr const char* kGpuQueryFields =
    "index,uuid,name,memory.total,compute_cap,driver_version,mig.mode.current,pci.bus_id";

// One GPU per line of `nvidia-smi --query-gpu=<kGpuQueryFields> --format=csv,noheader,nounits`;
// lines that do not parse are skipped. Without compute_cap (older drivers) the line has
// one field fewer.
GpuInventory parse_gpu_query(const std::string& csv, bool with_compute_cap = true);
// "CUDA Version: 12.4" from nvidia-smi's summary; "" when absent.
std::string parse_cuda_version(const std::string& summary);
// Runs `nvidia_smi` (a program on PATH or a path); no GPUs when it is absent or fails.
// Device minors come from /proc/driver/nvidia where the driver says, else the index.
GpuInventory probe_gpus(const std::string& nvidia_smi = "nvidia-smi");

}  // namespace og
