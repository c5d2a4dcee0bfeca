#include "examples/train/layers.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "examples/train/rng.hpp"

namespace og::train {

size_t ParamSpec::size() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

// He (Kaiming) uniform for weights: U(-√(6/fan_in), √(6/fan_in)); biases start at zero.
void Layer::init(float* params, Rng& rng) const {
  for (const auto& p : params_) {
    float* at = params + p.offset;
    if (p.shape.size() == 1) {
      std::fill(at, at + p.size(), 0.0f);
      continue;
    }
    size_t fan_in = p.size() / p.shape[0];
    float bound = std::sqrt(6.0f / static_cast<float>(fan_in));
    for (size_t i = 0; i < p.size(); ++i) at[i] = (2.0f * rng.uniform() - 1.0f) * bound;
  }
}

namespace {

class Dense : public Layer {
 public:
  Dense(const std::string& name, size_t in, size_t out) : in_(in), out_(out) {
    params_ = {{name + ".weight", {out, in}, 0}, {name + ".bias", {out}, 0}};
  }
  Shape output_shape() const override { return {out_, 1, 1}; }

  void forward(const float* params, const float* in, float* out, size_t n) override {
    const float* w = params + params_[0].offset;
    const float* b = params + params_[1].offset;
    for (size_t s = 0; s < n; ++s) std::memcpy(out + s * out_, b, out_ * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(out_), int(in_), 1.0f, in, int(in_), w, int(in_),
                1.0f, out, int(out_));
  }

  void backward(const float* params, const float* in, const float*, const float* dout, float* din, float* grads,
                size_t n) override {
    float* dw = grads + params_[0].offset;
    float* db = grads + params_[1].offset;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(out_), int(in_), int(n), 1.0f, dout, int(out_), in,
                int(in_), 0.0f, dw, int(in_));
    std::fill(db, db + out_, 0.0f);
    for (size_t s = 0; s < n; ++s)
      for (size_t o = 0; o < out_; ++o) db[o] += dout[s * out_ + o];
    if (din)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(in_), int(out_), 1.0f, dout, int(out_),
                  params + params_[0].offset, int(in_), 0.0f, din, int(in_));
  }

 private:
  size_t in_, out_;
};

class Relu : public Layer {
 public:
  explicit Relu(Shape shape) : shape_(shape) {}
  Shape output_shape() const override { return shape_; }
  void forward(const float*, const float* in, float* out, size_t n) override {
    size_t count = n * shape_.size();
    for (size_t i = 0; i < count; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
  }
  void backward(const float*, const float* in, const float*, const float* dout, float* din, float*,
                size_t n) override {
    if (!din) return;
    size_t count = n * shape_.size();
    for (size_t i = 0; i < count; ++i) din[i] = in[i] > 0.0f ? dout[i] : 0.0f;
  }

 private:
  Shape shape_;
};

// Convolution as one matrix product for the whole batch: the inputs are unfolded (im2col)
// into a {in_channels·9, n·height·width} matrix, kept for the backward pass, and the
// output comes out channel-major ({out_channels, n·pixels}), then is laid out per sample.
class Conv3x3 : public Layer {
 public:
  Conv3x3(const std::string& name, Shape in, size_t out_channels) : in_(in), out_channels_(out_channels) {
    params_ = {{name + ".weight", {out_channels, in.channels, 3, 3}, 0}, {name + ".bias", {out_channels}, 0}};
  }
  Shape output_shape() const override { return {out_channels_, in_.height, in_.width}; }

  void forward(const float* params, const float* in, float* out, size_t n) override {
    const size_t rows = in_.channels * 9, pixels = in_.height * in_.width, wide = n * pixels;
    columns_.resize(rows * wide);
    for (size_t s = 0; s < n; ++s) unfold(in + s * in_.size(), columns_.data() + s * pixels, wide);
    const float* b = params + params_[1].offset;
    by_channel_.resize(out_channels_ * wide);
    for (size_t c = 0; c < out_channels_; ++c) std::fill_n(by_channel_.data() + c * wide, wide, b[c]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(out_channels_), int(wide), int(rows), 1.0f,
                params + params_[0].offset, int(rows), columns_.data(), int(wide), 1.0f, by_channel_.data(),
                int(wide));
    for (size_t s = 0; s < n; ++s)
      for (size_t c = 0; c < out_channels_; ++c)
        std::memcpy(out + (s * out_channels_ + c) * pixels, by_channel_.data() + c * wide + s * pixels,
                    pixels * sizeof(float));
  }

  void backward(const float* params, const float*, const float*, const float* dout, float* din, float* grads,
                size_t n) override {
    const size_t rows = in_.channels * 9, pixels = in_.height * in_.width, wide = n * pixels;
    by_channel_.resize(out_channels_ * wide);
    for (size_t s = 0; s < n; ++s)
      for (size_t c = 0; c < out_channels_; ++c)
        std::memcpy(by_channel_.data() + c * wide + s * pixels, dout + (s * out_channels_ + c) * pixels,
                    pixels * sizeof(float));
    float* dw = grads + params_[0].offset;
    float* db = grads + params_[1].offset;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(out_channels_), int(rows), int(wide), 1.0f,
                by_channel_.data(), int(wide), columns_.data(), int(wide), 0.0f, dw, int(rows));
    for (size_t c = 0; c < out_channels_; ++c) {
      float sum = 0;
      for (size_t i = 0; i < wide; ++i) sum += by_channel_[c * wide + i];
      db[c] = sum;
    }
    if (!din) return;
    dcol_.resize(rows * wide);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(rows), int(wide), int(out_channels_), 1.0f,
                params + params_[0].offset, int(rows), by_channel_.data(), int(wide), 0.0f, dcol_.data(), int(wide));
    for (size_t s = 0; s < n; ++s) fold(dcol_.data() + s * pixels, wide, din + s * in_.size());
  }

 private:
  // Row (c, ky, kx) of the unfolded matrix (rows `stride` apart) holds, for every output
  // pixel, the input pixel that kernel tap sees (zero outside the image).
  void unfold(const float* image, float* col, size_t stride) const {
    const int h = int(in_.height), w = int(in_.width);
    for (size_t c = 0; c < in_.channels; ++c)
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) {
          float* row = col + ((c * 3 + ky) * 3 + kx) * stride;
          const float* plane = image + c * h * w;
          for (int y = 0; y < h; ++y) {
            int sy = y + ky - 1;
            for (int x = 0; x < w; ++x) {
              int sx = x + kx - 1;
              row[y * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? plane[sy * w + sx] : 0.0f;
            }
          }
        }
  }
  // The adjoint of unfold: each tap's gradient goes back to the pixel it came from.
  void fold(const float* col, size_t stride, float* image) const {
    const int h = int(in_.height), w = int(in_.width);
    std::fill(image, image + in_.size(), 0.0f);
    for (size_t c = 0; c < in_.channels; ++c)
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) {
          const float* row = col + ((c * 3 + ky) * 3 + kx) * stride;
          float* plane = image + c * h * w;
          for (int y = 0; y < h; ++y) {
            int sy = y + ky - 1;
            if (sy < 0 || sy >= h) continue;
            for (int x = 0; x < w; ++x) {
              int sx = x + kx - 1;
              if (sx >= 0 && sx < w) plane[sy * w + sx] += row[y * w + x];
            }
          }
        }
  }

  Shape in_;
  size_t out_channels_;
  std::vector<float> columns_, by_channel_, dcol_;
};

class MaxPool2 : public Layer {
 public:
  explicit MaxPool2(Shape in) : in_(in) {}
  Shape output_shape() const override { return {in_.channels, in_.height / 2, in_.width / 2}; }

  void forward(const float*, const float* in, float* out, size_t n) override {
    Shape o = output_shape();
    argmax_.resize(n * o.size());
    for (size_t s = 0; s < n; ++s)
      for (size_t c = 0; c < in_.channels; ++c)
        for (size_t y = 0; y < o.height; ++y)
          for (size_t x = 0; x < o.width; ++x) {
            size_t base = s * in_.size() + c * in_.height * in_.width;
            size_t best = base + (2 * y) * in_.width + 2 * x;
            for (size_t k = 1; k < 4; ++k) {
              size_t at = base + (2 * y + k / 2) * in_.width + 2 * x + k % 2;
              if (in[at] > in[best]) best = at;
            }
            size_t i = s * o.size() + (c * o.height + y) * o.width + x;
            out[i] = in[best];
            argmax_[i] = static_cast<uint32_t>(best);
          }
  }

  void backward(const float*, const float*, const float*, const float* dout, float* din, float*,
                size_t n) override {
    if (!din) return;
    std::fill(din, din + n * in_.size(), 0.0f);
    for (size_t i = 0; i < n * output_shape().size(); ++i) din[argmax_[i]] += dout[i];
  }

 private:
  Shape in_;
  std::vector<uint32_t> argmax_;
};

}  // namespace

std::unique_ptr<Layer> make_dense(const std::string& name, size_t in, size_t out) {
  return std::make_unique<Dense>(name, in, out);
}
std::unique_ptr<Layer> make_relu(Shape shape) { return std::make_unique<Relu>(shape); }
std::unique_ptr<Layer> make_conv3x3(const std::string& name, Shape in, size_t out_channels) {
  return std::make_unique<Conv3x3>(name, in, out_channels);
}
std::unique_ptr<Layer> make_maxpool2(Shape in) { return std::make_unique<MaxPool2>(in); }

}  // namespace og::train
