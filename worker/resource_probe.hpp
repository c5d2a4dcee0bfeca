// What this machine offers: CPUs we may use, memory, and NVIDIA GPUs (via nvidia-smi
// when it is installed; none otherwise).
#pragma once

#include <cstdint>
#include <string>

namespace og {

struct Resources {
  uint32_t nodes = 1;  // a machine is one; a Slurm cluster offers its nodes
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  uint32_t gpus = 0;
  std::string gpu_type;  // e.g. "h100", from the first GPU's name
};

Resources probe_resources();
// Parses `nvidia-smi -L` output ("GPU 0: NVIDIA H100 80GB HBM3 (UUID: …)") into count and type.
Resources parse_nvidia_smi_list(const std::string& output);

}  // namespace og
