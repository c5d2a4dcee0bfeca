#include "examples/train/trainer.hpp"

#include "examples/train/gpu_mlp.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

namespace og::train {

std::vector<uint32_t> epoch_order(uint64_t seed, uint64_t epoch, size_t count) {
  std::vector<uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  Rng rng(seed ^ (0x9e3779b97f4a7c15ull * (epoch + 1)));
  for (size_t i = count; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

namespace {

Dataset first(Dataset data, size_t limit) {
  if (limit == 0 || limit >= data.count) return data;
  data.count = limit;
  data.images.resize(limit * data.pixels());
  data.labels.resize(limit);
  return data;
}

}  // namespace

Trainer::Trainer(const TrainConfig& config, Dataset train, Dataset test, Communicator& comm)
    : config_(config),
      train_(first(std::move(train), config.train_limit)),
      test_(first(std::move(test), config.test_limit)),
      comm_(comm),
      network_(config.arch) {
  size_t ranks = static_cast<size_t>(comm.size());
  if (config.batch == 0 || config.batch % ranks != 0)
    throw std::invalid_argument("--batch " + std::to_string(config.batch) + " must be a positive multiple of the " +
                                std::to_string(ranks) + " ranks");
  if (config.epochs == 0) throw std::invalid_argument("--epochs must be at least 1");
  if (!(config.lr > 0) || !(config.momentum >= 0 && config.momentum < 1) || !(config.weight_decay >= 0))
    throw std::invalid_argument("need --lr > 0, 0 <= --momentum < 1 and --weight-decay >= 0");
  steps_per_epoch_ = train_.count / config.batch;  // a last partial batch is left out
  if (steps_per_epoch_ == 0)
    throw std::invalid_argument("--batch " + std::to_string(config.batch) + " is larger than the " +
                                std::to_string(train_.count) + " training images");
  if (test_.count < ranks) throw std::invalid_argument("need at least one test image per rank");
}

TrainState Trainer::initial_state() const {
  TrainState state;
  Rng rng(config_.seed);
  state.params = network_.initial_params(rng);
  state.velocity.assign(state.params.size(), 0.0f);
  state.rng = rng.state();
  return state;
}

void Trainer::load_order(uint64_t epoch) {
  if (order_epoch_ == epoch) return;
  order_ = epoch_order(config_.seed, epoch, train_.count);
  order_epoch_ = epoch;
}

void Trainer::run(TrainState& state, uint64_t stop_at, const std::function<void(const TrainState&)>& after_step) {
  if (state.params.size() != network_.param_count())
    throw std::invalid_argument("the state does not fit the " + arch_name(config_.arch) + " model");
  const size_t ranks = static_cast<size_t>(comm_.size()), rank = static_cast<size_t>(comm_.rank());
  const size_t share = config_.batch / ranks, pixels = train_.pixels(), n = network_.param_count();
  const uint64_t total = total_steps();
  batch_images_.resize(share * pixels);
  batch_labels_.resize(share);
  if (gpu_) gpu_->upload(state);
  while (state.step < total && state.step < stop_at) {
    uint64_t epoch = state.step / steps_per_epoch_;
    load_order(epoch);
    size_t first = (state.step % steps_per_epoch_) * config_.batch + rank * share;
    for (size_t i = 0; i < share; ++i) {
      uint32_t image = order_[first + i];
      std::memcpy(batch_images_.data() + i * pixels, train_.images.data() + size_t(image) * pixels,
                  pixels * sizeof(float));
      batch_labels_[i] = train_.labels[image];
    }
    float lr = config_.lr * (1.0f - float(state.step) / float(total));
    if (gpu_) {
      BatchResult summed = gpu_->step(batch_images_.data(), batch_labels_.data(), share, config_.batch, lr,
                                      config_.momentum, config_.weight_decay);
      state.epoch_loss_sum += summed.loss_sum;
      state.epoch_correct += summed.correct;
    } else {
      // The gradient, then this share's loss and hits, summed over ranks in one call.
      grads_.resize(n + 2);
      BatchResult local = network_.train_batch(state.params.data(), batch_images_.data(), batch_labels_.data(), share,
                                               1.0f / float(config_.batch), grads_.data());
      grads_[n] = static_cast<float>(local.loss_sum / double(config_.batch));
      grads_[n + 1] = static_cast<float>(local.correct);
      comm_.sum(grads_);
      state.epoch_loss_sum += double(grads_[n]) * double(config_.batch);
      state.epoch_correct += static_cast<uint64_t>(std::lround(grads_[n + 1]));
      for (size_t i = 0; i < n; ++i) {
        float g = grads_[i] + config_.weight_decay * state.params[i];
        state.velocity[i] = config_.momentum * state.velocity[i] + g;
        state.params[i] -= lr * state.velocity[i];
      }
    }
    ++state.step;
    const bool epoch_end = state.step % steps_per_epoch_ == 0;
    if (gpu_ && (epoch_end || state.step % sync_every_ == 0 || state.step == total || state.step == stop_at))
      gpu_->download(state);
    if (epoch_end) {
      state.history.push_back(finish_epoch(state));
      state.epoch_loss_sum = 0;
      state.epoch_correct = 0;
    }
    if (after_step) after_step(state);
  }
}

EpochMetrics Trainer::finish_epoch(const TrainState& state) {
  auto started = std::chrono::steady_clock::now();
  const size_t ranks = static_cast<size_t>(comm_.size()), rank = static_cast<size_t>(comm_.rank());
  size_t begin = test_.count * rank / ranks, end = test_.count * (rank + 1) / ranks;
  BatchResult local = network_.evaluate(state.params.data(), test_.images.data() + begin * test_.pixels(),
                                        test_.labels.data() + begin, end - begin);
  std::vector<float> sums = {static_cast<float>(local.loss_sum / double(test_.count)),
                             static_cast<float>(local.correct)};
  comm_.sum(sums);
  const double seen = double(steps_per_epoch_ * config_.batch);
  EpochMetrics m;
  m.epoch = state.step / steps_per_epoch_;
  m.step = state.step;
  m.train_loss = state.epoch_loss_sum / seen;
  m.train_accuracy = double(state.epoch_correct) / seen;
  m.test_loss = double(sums[0]);
  m.test_accuracy = double(std::lround(sums[1])) / double(test_.count);
  evaluation_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return m;
}

}  // namespace og::train
