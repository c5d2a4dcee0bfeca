// Checkpoints and models as HDF5 files. A checkpoint holds everything the next step
// depends on: the weights (/model/<name>, shaped as PyTorch would), the momentum
// (/optimizer/<name>), the step, the RNG state, the data position, this epoch's running
// sums and the metrics so far, plus the run's settings as attributes so a resume with
// different ones is refused. A model file is the same without the optimizer group.
// Files carry no timestamps and are written to a temporary name then renamed, so equal
// states give byte-identical files and a reader never sees half a file.
#pragma once

#include <string>

#include "examples/train/network.hpp"
#include "examples/train/trainer.hpp"

namespace og::train {

struct Checkpoint {
  TrainConfig config;
  int ranks = 1;
  TrainState state;
};

void write_checkpoint(const std::string& path, const Network& network, const Checkpoint& checkpoint,
                      bool with_optimizer = true);
// Throws std::runtime_error naming the file when it is not a checkpoint of this network.
Checkpoint read_checkpoint(const std::string& path, const Network& network);

// Why `saved` cannot be resumed with `wanted` (a setting that changes the steps), or "".
std::string resume_mismatch(const TrainConfig& saved, const TrainConfig& wanted);

}  // namespace og::train
