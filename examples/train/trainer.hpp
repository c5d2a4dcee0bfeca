// Data-parallel training with SGD and momentum. Every rank holds the whole model; each
// optimizer step takes the next global batch of a per-epoch shuffle derived from the seed,
// each rank computes the gradient on its contiguous share, the communicator sums them,
// and every rank applies the same update. Everything a step depends on is in TrainState,
// so a run resumed from a checkpoint takes exactly the steps an uninterrupted one would.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "examples/train/communicator.hpp"
#include "examples/train/fashion_mnist.hpp"
#include "examples/train/network.hpp"
#include "examples/train/rng.hpp"

namespace og::train {

class GpuMlp;

struct TrainConfig {
  Arch arch = Arch::Mlp;
  uint64_t seed = 1;
  size_t batch = 64;  // global batch, split evenly over the ranks
  size_t epochs = 10;
  float lr = 0.05f;   // decays linearly to 0 over the run
  float momentum = 0.9f;
  float weight_decay = 0.0f;
  size_t train_limit = 0;  // use only the first N training / test images (0: all), for quick runs
  size_t test_limit = 0;
  // A checkpoint (and milestone) every N steps, 0: at each epoch's end. It numbers the
  // milestones, so replicas and resumed runs must agree on it.
  uint64_t checkpoint_every = 0;
};

struct EpochMetrics {
  uint64_t epoch = 0;  // 1-based
  uint64_t step = 0;
  double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0;
};

struct TrainState {
  uint64_t step = 0;  // optimizer steps taken
  std::vector<float> params, velocity;
  Rng::State rng{};
  double epoch_loss_sum = 0;  // this epoch's training loss and hits so far
  uint64_t epoch_correct = 0;
  std::vector<EpochMetrics> history;
};

class Trainer {
 public:
  Trainer(const TrainConfig& config, Dataset train, Dataset test, Communicator& comm);
  TrainState initial_state() const;
  size_t steps_per_epoch() const { return steps_per_epoch_; }
  size_t total_steps() const { return steps_per_epoch_ * config_.epochs; }

  // Takes steps until `stop_at` (or the end of training); after each one calls after_step,
  // which may write a checkpoint. An epoch's last step also evaluates on the test set.
  void run(TrainState& state, uint64_t stop_at, const std::function<void(const TrainState&)>& after_step);

  Network& network() { return network_; }
  // Takes the steps on this GPU instead (MLP only), bringing the weights back to the host
  // state every `sync_every` steps, at each epoch's end and where run() stops.
  void use_gpu(GpuMlp* gpu, uint64_t sync_every) {
    gpu_ = gpu;
    sync_every_ = sync_every ? sync_every : 1;
  }
  // Time spent evaluating on the test set, so throughput can leave it out.
  double evaluation_seconds() const { return evaluation_seconds_; }

 private:
  void load_order(uint64_t epoch);
  EpochMetrics finish_epoch(const TrainState& state);

  TrainConfig config_;
  Dataset train_, test_;
  Communicator& comm_;
  Network network_;
  size_t steps_per_epoch_;
  std::vector<uint32_t> order_;
  uint64_t order_epoch_ = UINT64_MAX;
  std::vector<float> batch_images_, grads_;
  std::vector<uint8_t> batch_labels_;
  double evaluation_seconds_ = 0;
  GpuMlp* gpu_ = nullptr;
  uint64_t sync_every_ = 1;
};

// The image order of epoch `epoch` (0-based): a Fisher–Yates shuffle of 0..count-1 drawn
// from a generator seeded by (seed, epoch).
std::vector<uint32_t> epoch_order(uint64_t seed, uint64_t epoch, size_t count);

}  // namespace og::train
