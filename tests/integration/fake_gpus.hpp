// A GPU host without a GPU, for tests: a fake nvidia-smi reporting two H100s (driver 550,
// CUDA 12.4), their device nodes and the control node made with mknod (NVIDIA's major, no
// driver behind them: opening one fails "No such device or address"), and a directory of
// fake driver libraries. Needs root (mknod).
#pragma once

#include <string>
#include <vector>

namespace og::test {

inline constexpr unsigned kNvidiaMajor = 195;

struct FakeGpus {
  std::string nvidia_smi, dev_dir, lib_dir;
  // The og-worker options that make a worker see them.
  std::vector<std::string> worker_options() const {
    return {"--nvidia-smi", nvidia_smi, "--gpu-dev", dev_dir, "--nvidia-libs", lib_dir};
  }
};

// Creates them under `dir`; throws std::runtime_error when a node cannot be made.
FakeGpus make_fake_gpus(const std::string& dir);

}  // namespace og::test
