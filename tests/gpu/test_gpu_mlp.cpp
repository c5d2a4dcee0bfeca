// The GPU path (og-train-gpu) against the CPU path: from the same start, the same steps
// on the same data give the same model to float rounding. Runs where an NVIDIA GPU is
// present; elsewhere each test skips, saying why.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "examples/train/gpu_mlp.hpp"
#include "examples/train/rng.hpp"
#include "examples/train/trainer.hpp"
#include "tests/unit/synthetic_dataset.hpp"

namespace og::train {
namespace {

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    GpuStatus status = gpu_status();
    if (status.devices == 0) GTEST_SKIP() << "SKIPPED: " << status.why_none;
  }
};

TEST_F(Gpu, TrainsTheMlpLikeTheCpuToRounding) {
  auto comm = make_single_process();
  TrainConfig c;
  c.batch = 32, c.epochs = 2, c.train_limit = 512, c.test_limit = 64;
  Trainer cpu(c, synthetic_dataset(512, 1), synthetic_dataset(64, 2), *comm);
  TrainState on_cpu = cpu.initial_state();
  cpu.run(on_cpu, UINT64_MAX, nullptr);

  Trainer gpu_trainer(c, synthetic_dataset(512, 1), synthetic_dataset(64, 2), *comm);
  GpuMlp gpu(gpu_trainer.network(), *comm, c.batch);
  gpu_trainer.use_gpu(&gpu, 5);
  TrainState on_gpu = gpu_trainer.initial_state();
  gpu_trainer.run(on_gpu, UINT64_MAX, nullptr);

  ASSERT_EQ(on_gpu.step, on_cpu.step);
  ASSERT_EQ(on_gpu.params.size(), on_cpu.params.size());
  // 32 steps of SGD from the same weights: element-wise within 1e-3 relative (plus 1e-5
  // absolute for weights near zero); the loss within 1e-3.
  size_t off = 0;
  for (size_t i = 0; i < on_cpu.params.size(); ++i)
    off += std::fabs(on_gpu.params[i] - on_cpu.params[i]) > 1e-5f + 1e-3f * std::fabs(on_cpu.params[i]);
  EXPECT_EQ(off, 0u) << off << " of " << on_cpu.params.size() << " weights differ beyond the tolerance";
  ASSERT_EQ(on_gpu.history.size(), 2u);
  EXPECT_NEAR(on_gpu.history[1].train_loss, on_cpu.history[1].train_loss, 1e-3);
  EXPECT_NEAR(on_gpu.history[1].test_accuracy, on_cpu.history[1].test_accuracy, 1.0 / 64);
}

TEST_F(Gpu, RefusesTheCnn) {
  auto comm = make_single_process();
  Network cnn(Arch::Cnn);
  EXPECT_THROW(GpuMlp(cnn, *comm, 32), std::runtime_error);
}

}  // namespace
}  // namespace og::train
