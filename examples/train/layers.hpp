// The layers the example networks are made of. Each works on a batch of n samples laid
// out one after another; its parameters live in the network's one flat array (so the
// reduction, the optimizer and checkpoints see a single buffer) at offsets it is given.
// Matrix work goes to the BLAS (one thread per rank: the ranks are the parallelism, and
// a fixed thread count keeps results reproducible).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace og::train {

struct Shape {
  size_t channels = 1, height = 1, width = 1;
  size_t size() const { return channels * height * width; }
};

// One named parameter tensor inside the flat array.
struct ParamSpec {
  std::string name;           // "fc1.weight", as PyTorch would call it
  std::vector<size_t> shape;  // e.g. {out, in}
  size_t offset = 0;
  size_t size() const;
};

class Rng;

class Layer {
 public:
  virtual ~Layer() = default;
  virtual Shape output_shape() const = 0;
  // Parameters this layer owns (offsets filled in by the network), and their initial values.
  virtual std::vector<ParamSpec>& params() { return params_; }
  virtual void init(float* params, Rng& rng) const;
  virtual void forward(const float* params, const float* in, float* out, size_t n) = 0;
  // Writes this batch's parameter gradients into grads (overwriting: each parameter
  // belongs to one layer, so no step needs the array zeroed first) and, when din is not
  // null, the gradient with respect to the input.
  virtual void backward(const float* params, const float* in, const float* out, const float* dout, float* din,
                        float* grads, size_t n) = 0;

 protected:
  std::vector<ParamSpec> params_;
};

// y = x Wᵀ + b, W {out, in}.
std::unique_ptr<Layer> make_dense(const std::string& name, size_t in, size_t out);
std::unique_ptr<Layer> make_relu(Shape shape);
// 3×3 convolution, stride 1, padding 1 ("same"), W {out_channels, in_channels, 3, 3}.
std::unique_ptr<Layer> make_conv3x3(const std::string& name, Shape in, size_t out_channels);
// 2×2 max pooling, stride 2.
std::unique_ptr<Layer> make_maxpool2(Shape in);

}  // namespace og::train
