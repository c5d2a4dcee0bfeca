#include "examples/train/gpu_mlp.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace og::train {
namespace {

void cuda_ok(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(rc));
}
void cublas_ok(cublasStatus_t rc, const char* what) {
  if (rc != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": cuBLAS status " + std::to_string(int(rc)));
}
void nccl_ok(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess) throw std::runtime_error(std::string(what) + ": " + ncclGetErrorString(rc));
}

// Device memory that frees itself.
template <typename T>
struct DeviceArray {
  T* data = nullptr;
  size_t count = 0;
  void allocate(size_t n) {
    cuda_ok(cudaMalloc(&data, n * sizeof(T)), "cudaMalloc");
    count = n;
  }
  ~DeviceArray() {
    if (data) cudaFree(data);
  }
};

constexpr int kThreads = 256;
int blocks(size_t count) { return int((count + kThreads - 1) / kThreads); }

__global__ void fill_rows(float* y, const float* bias, int n, int out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n * out) y[i] = bias[i % out];
}
__global__ void relu(const float* z, float* a, int count) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count) a[i] = z[i] > 0.0f ? z[i] : 0.0f;
}
__global__ void relu_back(const float* z, const float* da, float* dz, int count) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count) dz[i] = z[i] > 0.0f ? da[i] : 0.0f;
}
// One thread per sample: softmax cross-entropy over 10 logits, its gradient, loss and hit.
__global__ void softmax_xent(const float* logits, const uint8_t* labels, int n, float scale, float* delta, float* loss,
                             float* hit) {
  int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= n) return;
  const float* z = logits + s * 10;
  int best = 0;
  for (int c = 1; c < 10; ++c)
    if (z[c] > z[best]) best = c;
  float p[10], sum = 0.0f;
  for (int c = 0; c < 10; ++c) sum += (p[c] = expf(z[c] - z[best]));
  for (int c = 0; c < 10; ++c) delta[s * 10 + c] = (p[c] / sum - (c == labels[s] ? 1.0f : 0.0f)) * scale;
  loss[s] = logf(sum) - (z[labels[s]] - z[best]);
  hit[s] = best == labels[s] ? 1.0f : 0.0f;
}
// One thread per output: the bias gradient, summed over the samples in order.
__global__ void column_sums(const float* d, int n, int out, float* db) {
  int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= out) return;
  float sum = 0.0f;
  for (int s = 0; s < n; ++s) sum += d[s * out + o];
  db[o] = sum;
}
// The step's loss (as a share of the global batch's mean) and hits, after the gradient.
__global__ void metrics(const float* loss, const float* hit, int n, float inv_global, float* out) {
  float l = 0.0f, h = 0.0f;
  for (int s = 0; s < n; ++s) l += loss[s], h += hit[s];
  out[0] = l * inv_global;
  out[1] = h;
}
__global__ void sgd(float* p, float* v, const float* g, int count, float lr, float momentum, float decay) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  float grad = g[i] + decay * p[i];
  v[i] = momentum * v[i] + grad;
  p[i] -= lr * v[i];
}

struct DenseLayer {
  int in = 0, out = 0;
  size_t weight = 0, bias = 0;  // offsets in the flat parameter array
};

}  // namespace

GpuStatus gpu_status() {
  int count = 0;
  cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess) return {0, std::string("no usable GPU: ") + cudaGetErrorString(rc)};
  if (count == 0) return {0, "no GPU on this machine"};
  return {count, ""};
}

struct GpuMlp::Impl {
  Communicator& comm;
  int device = 0;
  size_t params = 0;
  std::vector<DenseLayer> layers;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  ncclComm_t nccl = nullptr;
  DeviceArray<float> p, v, g;  // g: the gradient, then loss and hits
  DeviceArray<float> images, loss, hit;
  DeviceArray<uint8_t> labels;
  std::vector<DeviceArray<float>> z, a, dz;  // per layer: pre-activation, activation, its gradient
  DeviceArray<float> da;                     // gradient of an activation, before the ReLU
  explicit Impl(Communicator& c) : comm(c) {}
  ~Impl() {
    if (nccl) ncclCommDestroy(nccl);
    if (blas) cublasDestroy(blas);
    if (stream) cudaStreamDestroy(stream);
  }
};

GpuMlp::GpuMlp(const Network& network, Communicator& comm, size_t max_share) : impl_(std::make_unique<Impl>(comm)) {
  if (network.arch() != Arch::Mlp) throw std::runtime_error("the GPU path trains the MLP only (--model mlp)");
  GpuStatus status = gpu_status();
  if (status.devices == 0) throw std::runtime_error(status.why_none);
  Impl& m = *impl_;
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  const char* local_size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  // NCCL wants a GPU of its own for each rank in a communicator.
  if (local_size && std::atoi(local_size) > status.devices)
    throw std::runtime_error(std::string(local_size) + " ranks on this node and " + std::to_string(status.devices) +
                             " GPU(s): the GPU path needs one GPU per rank");
  m.device = (local ? std::atoi(local) : comm.rank()) % status.devices;
  cuda_ok(cudaSetDevice(m.device), "cudaSetDevice");
  cuda_ok(cudaStreamCreate(&m.stream), "cudaStreamCreate");
  cublas_ok(cublasCreate(&m.blas), "cublasCreate");
  cublas_ok(cublasSetStream(m.blas, m.stream), "cublasSetStream");
  // Full float products (no TF32), so the GPU agrees with the CPU to float rounding.
  cublas_ok(cublasSetMathMode(m.blas, CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
  for (size_t i = 0; i + 1 < network.params().size(); i += 2) {
    const ParamSpec& w = network.params()[i];
    m.layers.push_back({int(w.shape[1]), int(w.shape[0]), w.offset, network.params()[i + 1].offset});
  }
  m.params = network.param_count();
  m.p.allocate(m.params);
  m.v.allocate(m.params);
  m.g.allocate(m.params + 2);
  m.images.allocate(max_share * size_t(m.layers.front().in));
  m.labels.allocate(max_share);
  m.loss.allocate(max_share);
  m.hit.allocate(max_share);
  m.z.resize(m.layers.size());
  m.a.resize(m.layers.size());
  m.dz.resize(m.layers.size());
  int widest = 0;
  for (size_t l = 0; l < m.layers.size(); ++l) {
    m.z[l].allocate(max_share * m.layers[l].out);
    m.a[l].allocate(max_share * m.layers[l].out);
    m.dz[l].allocate(max_share * m.layers[l].out);
    widest = std::max(widest, m.layers[l].in);
  }
  m.da.allocate(max_share * size_t(widest));
  if (comm.size() > 1) {
    ncclUniqueId id;
    if (comm.rank() == 0) nccl_ok(ncclGetUniqueId(&id), "ncclGetUniqueId");
    comm.broadcast(&id, sizeof id);
    nccl_ok(ncclCommInitRank(&m.nccl, comm.size(), id, comm.rank()), "ncclCommInitRank");
  }
}

GpuMlp::~GpuMlp() = default;

void GpuMlp::upload(const TrainState& state) {
  Impl& m = *impl_;
  cuda_ok(cudaMemcpy(m.p.data, state.params.data(), m.params * sizeof(float), cudaMemcpyHostToDevice), "upload");
  cuda_ok(cudaMemcpy(m.v.data, state.velocity.data(), m.params * sizeof(float), cudaMemcpyHostToDevice), "upload");
}

void GpuMlp::download(TrainState& state) const {
  Impl& m = *impl_;
  cuda_ok(cudaStreamSynchronize(m.stream), "cudaStreamSynchronize");
  cuda_ok(cudaMemcpy(state.params.data(), m.p.data, m.params * sizeof(float), cudaMemcpyDeviceToHost), "download");
  cuda_ok(cudaMemcpy(state.velocity.data(), m.v.data, m.params * sizeof(float), cudaMemcpyDeviceToHost), "download");
}

BatchResult GpuMlp::step(const float* images, const uint8_t* labels, size_t share, size_t global_batch, float lr,
                         float momentum, float weight_decay) {
  Impl& m = *impl_;
  const int n = int(share);
  const float one = 1.0f, zero = 0.0f;
  cuda_ok(cudaMemcpyAsync(m.images.data, images, share * m.layers.front().in * sizeof(float), cudaMemcpyHostToDevice,
                          m.stream), "copy images");
  cuda_ok(cudaMemcpyAsync(m.labels.data, labels, share, cudaMemcpyHostToDevice, m.stream), "copy labels");
  // Forward, row-major y {n, out} = x {n, in} · Wᵀ + b, as column-major yᵀ = W · xᵀ.
  const float* x = m.images.data;
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const DenseLayer& L = m.layers[l];
    fill_rows<<<blocks(size_t(n) * L.out), kThreads, 0, m.stream>>>(m.z[l].data, m.p.data + L.bias, n, L.out);
    cublas_ok(cublasSgemm(m.blas, CUBLAS_OP_T, CUBLAS_OP_N, L.out, n, L.in, &one, m.p.data + L.weight, L.in, x, L.in,
                          &one, m.z[l].data, L.out), "forward sgemm");
    if (l + 1 < m.layers.size()) {
      relu<<<blocks(size_t(n) * L.out), kThreads, 0, m.stream>>>(m.z[l].data, m.a[l].data, n * L.out);
      x = m.a[l].data;
    }
  }
  const size_t last = m.layers.size() - 1;
  softmax_xent<<<blocks(share), kThreads, 0, m.stream>>>(m.z[last].data, m.labels.data, n, 1.0f / float(global_batch),
                                                          m.dz[last].data, m.loss.data, m.hit.data);
  // Backward: dW {out, in} = dyᵀ · x, db = Σ dy, dx {n, in} = dy · W.
  for (size_t l = m.layers.size(); l-- > 0;) {
    const DenseLayer& L = m.layers[l];
    const float* input = l == 0 ? m.images.data : m.a[l - 1].data;
    cublas_ok(cublasSgemm(m.blas, CUBLAS_OP_N, CUBLAS_OP_T, L.in, L.out, n, &one, input, L.in, m.dz[l].data, L.out,
                          &zero, m.g.data + L.weight, L.in), "weight-gradient sgemm");
    column_sums<<<blocks(L.out), kThreads, 0, m.stream>>>(m.dz[l].data, n, L.out, m.g.data + L.bias);
    if (l == 0) break;
    cublas_ok(cublasSgemm(m.blas, CUBLAS_OP_N, CUBLAS_OP_N, L.in, n, L.out, &one, m.p.data + L.weight, L.in,
                          m.dz[l].data, L.out, &zero, m.da.data, L.in), "input-gradient sgemm");
    relu_back<<<blocks(size_t(n) * L.in), kThreads, 0, m.stream>>>(m.z[l - 1].data, m.da.data, m.dz[l - 1].data,
                                                                    n * L.in);
  }
  metrics<<<1, 1, 0, m.stream>>>(m.loss.data, m.hit.data, n, 1.0f / float(global_batch), m.g.data + m.params);
  if (m.nccl)
    nccl_ok(ncclAllReduce(m.g.data, m.g.data, m.params + 2, ncclFloat, ncclSum, m.nccl, m.stream), "ncclAllReduce");
  sgd<<<blocks(m.params), kThreads, 0, m.stream>>>(m.p.data, m.v.data, m.g.data, int(m.params), lr, momentum,
                                                    weight_decay);
  float summed[2];
  cuda_ok(cudaMemcpyAsync(summed, m.g.data + m.params, sizeof summed, cudaMemcpyDeviceToHost, m.stream), "metrics");
  cuda_ok(cudaStreamSynchronize(m.stream), "cudaStreamSynchronize");
  cuda_ok(cudaGetLastError(), "a training kernel");
  return {double(summed[0]) * double(global_batch), size_t(std::lround(summed[1]))};
}

std::string GpuMlp::describe() const {
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, impl_->device);
  return std::string("GPU ") + std::to_string(impl_->device) + " (" + prop.name + ")" +
         (impl_->nccl ? ", NCCL sum" : "");
}

}  // namespace og::train
