#include "examples/train/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "examples/train/rng.hpp"

namespace og::train {

Arch parse_arch(const std::string& name) {
  if (name == "mlp") return Arch::Mlp;
  if (name == "cnn") return Arch::Cnn;
  throw std::invalid_argument("unknown model \"" + name + "\": choose mlp or cnn");
}

std::string arch_name(Arch arch) { return arch == Arch::Mlp ? "mlp" : "cnn"; }

Network::Network(Arch arch) : arch_(arch), input_{1, 28, 28} {
  auto add = [&](std::unique_ptr<Layer> layer) { layers_.push_back(std::move(layer)); };
  auto shape = [&] { return layers_.back()->output_shape(); };
  if (arch == Arch::Mlp) {
    add(make_dense("fc1", input_.size(), 256));
    add(make_relu(shape()));
    add(make_dense("fc2", 256, 128));
    add(make_relu(shape()));
    add(make_dense("fc3", 128, 10));
  } else {
    add(make_conv3x3("conv1", input_, 16));
    add(make_relu(shape()));
    add(make_maxpool2(shape()));
    add(make_conv3x3("conv2", shape(), 32));
    add(make_relu(shape()));
    add(make_maxpool2(shape()));
    add(make_dense("fc1", shape().size(), 128));
    add(make_relu(shape()));
    add(make_dense("fc2", 128, 10));
  }
  for (auto& layer : layers_)
    for (auto& p : layer->params()) {
      p.offset = param_count_;
      param_count_ += p.size();
      specs_.push_back(p);
    }
  activations_.resize(layers_.size());
}

std::vector<float> Network::initial_params(Rng& rng) const {
  std::vector<float> params(param_count_);
  for (const auto& layer : layers_) layer->init(params.data(), rng);
  return params;
}

BatchResult Network::forward(const float* params, const float* images, const uint8_t* labels, size_t n) {
  const float* in = images;
  for (size_t i = 0; i < layers_.size(); ++i) {
    activations_[i].resize(n * layers_[i]->output_shape().size());
    layers_[i]->forward(params, in, activations_[i].data(), n);
    in = activations_[i].data();
  }
  // Softmax cross-entropy on the logits, stable form: log Σ exp(z - max) - (z_label - max).
  const size_t classes = 10;
  probabilities_.resize(n * classes);
  BatchResult result;
  for (size_t s = 0; s < n; ++s) {
    const float* z = in + s * classes;
    float* p = probabilities_.data() + s * classes;
    size_t best = static_cast<size_t>(std::max_element(z, z + classes) - z);
    float sum = 0;
    for (size_t c = 0; c < classes; ++c) sum += (p[c] = std::exp(z[c] - z[best]));
    for (size_t c = 0; c < classes; ++c) p[c] /= sum;
    result.loss_sum += static_cast<double>(std::log(sum) - (z[labels[s]] - z[best]));
    if (best == labels[s]) ++result.correct;
  }
  return result;
}

BatchResult Network::train_batch(const float* params, const float* images, const uint8_t* labels, size_t n,
                                 float scale, float* grads) {
  BatchResult result = forward(params, images, labels, n);
  // ∂loss/∂logits = softmax - one-hot, scaled.
  delta_.resize(probabilities_.size());
  for (size_t s = 0; s < n; ++s)
    for (size_t c = 0; c < 10; ++c)
      delta_[s * 10 + c] = (probabilities_[s * 10 + c] - (c == labels[s] ? 1.0f : 0.0f)) * scale;
  for (size_t i = layers_.size(); i-- > 0;) {
    const float* in = i == 0 ? images : activations_[i - 1].data();
    if (i > 0) below_.resize(activations_[i - 1].size());
    layers_[i]->backward(params, in, activations_[i].data(), delta_.data(), i > 0 ? below_.data() : nullptr, grads,
                         n);
    delta_.swap(below_);
  }
  return result;
}

BatchResult Network::evaluate(const float* params, const float* images, const uint8_t* labels, size_t n) {
  BatchResult total;
  const size_t chunk = 256;
  for (size_t at = 0; at < n; at += chunk) {
    size_t m = std::min(chunk, n - at);
    BatchResult part = forward(params, images + at * input_.size(), labels + at, m);
    total.loss_sum += part.loss_sum;
    total.correct += part.correct;
  }
  return total;
}

}  // namespace og::train
