// og-train built without CUDA or NCCL: no GPU path.
#include <stdexcept>

#include "examples/train/gpu_mlp.hpp"

namespace og::train {

struct GpuMlp::Impl {};

GpuStatus gpu_status() { return {0, "og-train was built without CUDA and NCCL (CMake found none)"}; }

GpuMlp::GpuMlp(const Network&, Communicator&, size_t) { throw std::runtime_error(gpu_status().why_none); }
GpuMlp::~GpuMlp() = default;
void GpuMlp::upload(const TrainState&) {}
void GpuMlp::download(TrainState&) const {}
BatchResult GpuMlp::step(const float*, const uint8_t*, size_t, size_t, float, float, float) { return {}; }
std::string GpuMlp::describe() const { return ""; }

}  // namespace og::train
