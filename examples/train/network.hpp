// The two example networks for 28×28 grey images and 10 classes, trained with softmax
// cross-entropy:
//   mlp: 784 → 256 → 128 → 10 (ReLU)
//   cnn: conv3×3(16) → pool → conv3×3(32) → pool → 1568 → 128 → 10 (ReLU)
// All parameters live in one flat float array described by params().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "examples/train/layers.hpp"

namespace og::train {

enum class Arch { Mlp, Cnn };
// "mlp" or "cnn"; throws std::invalid_argument naming the choices otherwise.
Arch parse_arch(const std::string& name);
std::string arch_name(Arch arch);

struct BatchResult {
  double loss_sum = 0;  // Σ of the samples' cross-entropy losses
  size_t correct = 0;   // samples whose largest logit is their label
};

class Network {
 public:
  explicit Network(Arch arch);
  Arch arch() const { return arch_; }
  const std::vector<ParamSpec>& params() const { return specs_; }
  size_t param_count() const { return param_count_; }
  std::vector<float> initial_params(Rng& rng) const;

  // Writes scale × ∂(Σ losses)/∂θ over the n samples into grads (scale = 1/global batch
  // gives the gradient of the mean loss once every rank's share is summed).
  BatchResult train_batch(const float* params, const float* images, const uint8_t* labels, size_t n, float scale,
                          float* grads);
  BatchResult evaluate(const float* params, const float* images, const uint8_t* labels, size_t n);

 private:
  BatchResult forward(const float* params, const float* images, const uint8_t* labels, size_t n);

  Arch arch_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<ParamSpec> specs_;
  size_t param_count_ = 0;
  Shape input_;
  std::vector<std::vector<float>> activations_;  // output of each layer
  std::vector<float> probabilities_, delta_, below_;
};

}  // namespace og::train
