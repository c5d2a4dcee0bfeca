// What one job gets of its provider's GPUs: only those og-schedd allocated to it. In the
// jail, their device nodes and the driver's control nodes, nothing of the other GPUs (and
// the devices cgroup denying them where the host has it); with an image, the host's
// driver libraries (which must match its kernel module) visible inside, as
// nvidia-container-toolkit does; everywhere, the variables CUDA and Slurm's gres plugin set.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/gpu_device.hpp"

namespace og {

struct GpuHost {
  std::vector<GpuDevice> devices;  // offered, by index (empty: none, or a bare count)
  std::vector<uint32_t> unoffered_minors;  // GPUs here but not offered (og-worker --gpus N): denied to every job
  std::string dev_dir = "/dev";    // where their nodes are (og-worker --gpu-dev; tests)
  std::string driver_lib_dir;      // the driver's user-space libraries, "" = none found
  std::string nvidia_smi;          // the nvidia-smi to show in images, "" = none
};

struct GpuBinding {
  std::vector<std::string> device_nodes;  // host nodes the job's /dev gets: its GPUs, then control nodes
  std::vector<std::string> denied;        // "c MAJOR:MINOR" of the provider's GPUs it did not get
  std::vector<std::pair<std::string, std::string>> driver_files;  // host file → path in an image
  std::vector<uint32_t> indices;           // its GPUs by the provider's index, lowest first
  std::vector<std::string> uuids;          // theirs, in the same order ("" where unknown)
};

// `indices` as og-schedd allocated them; empty with gpus > 0 on a bare count (every node
// nvidia-smi would show, as before GPUs were told apart). Every other GPU of the host is
// denied, to jobs without GPUs too. Throws std::runtime_error when GPUs are told apart and
// fewer indices than GPUs came, an index is not one of this host's GPUs or its node is
// missing: the job must not run on GPUs it did not get.
GpuBinding bind_gpus(const GpuHost& host, uint32_t gpus, const std::vector<uint32_t>& indices, bool with_image);

// CUDA_VISIBLE_DEVICES, GPU_DEVICE_ORDINAL, NVIDIA_VISIBLE_DEVICES, SLURM_JOB_GPUS and
// SLURM_STEP_GPUS, as Slurm's gres/gpu plugin sets them: the job's GPUs by the provider's
// index in SLURM_*_GPUS, and for CUDA 0..N-1 where only they are visible (`isolated`, the
// jail; Slurm's ConstrainDevices=yes), else the provider's indices.
void add_gpu_environment(const GpuBinding& gpus, bool isolated, std::map<std::string, std::string>& env);

// The directory holding libcuda.so.1, as the loader's cache (`ldconfig -p`) knows it; "".
std::string find_driver_lib_dir();

// og-worker --gpu-price: "1.80" (every model), "h100=2.40,a100=1.60", or both
// ("1.20,h100=2.40"). Models in lower case. Throws og::UsageError naming the bad part.
struct GpuPrices {
  int64_t every_micros = 0;
  std::map<std::string, int64_t> by_model;
};
GpuPrices parse_gpu_prices(const std::string& text);

}  // namespace og
