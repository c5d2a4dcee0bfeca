// The MLP's training step on an NVIDIA GPU: the products on cuBLAS, the element-wise work
// in small kernels, the sum over ranks with NCCL (its communicator bootstrapped through
// the ranks' Communicator), the update on the device. Same layout, data, shares and
// update as the CPU path, so results agree with it to rounding (not bit for bit: the GPU
// sums in other orders). Built only where CMake finds CUDA and NCCL; elsewhere, and on
// machines without a GPU, gpu_status() says why not and GpuMlp refuses to start.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "examples/train/communicator.hpp"
#include "examples/train/network.hpp"
#include "examples/train/trainer.hpp"

namespace og::train {

// How many GPUs this process can use (0 when none), and why none when so.
struct GpuStatus {
  int devices = 0;
  std::string why_none;
};
GpuStatus gpu_status();

class GpuMlp {
 public:
  // On device (local rank mod devices); throws std::runtime_error when it cannot.
  GpuMlp(const Network& network, Communicator& comm, size_t max_share);
  ~GpuMlp();
  GpuMlp(const GpuMlp&) = delete;
  GpuMlp& operator=(const GpuMlp&) = delete;

  void upload(const TrainState& state);    // weights and momentum to the device
  void download(TrainState& state) const;  // and back
  // One optimizer step on `share` samples of a global batch; returns the loss sum (mean
  // over the global batch) and hits summed over all ranks.
  BatchResult step(const float* images, const uint8_t* labels, size_t share, size_t global_batch, float lr,
                   float momentum, float weight_decay);
  std::string describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace og::train
