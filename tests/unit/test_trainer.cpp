// The trainer's pieces: its random numbers and data order, gradients that match finite
// differences, exact fixed-point sums, learning on real data, checkpoints that round-trip
// byte for byte and a resumed run equal to an uninterrupted one, and the PNG encoder.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "examples/train/checkpoint.hpp"
#include "examples/train/communicator.hpp"
#include "examples/train/learning_curves.hpp"
#include "examples/train/rng.hpp"
#include "examples/train/trainer.hpp"
#include "tests/unit/synthetic_dataset.hpp"
#include "temp_dir.hpp"

namespace og::train {
namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Tests run on one rank.
class SingleRank {
 public:
  SingleRank() : comm_(make_single_process()) {}
  operator Communicator&() { return *comm_; }

 private:
  std::unique_ptr<Communicator> comm_;
};

TEST(TrainRng, SameSeedSameNumbersAndStateRoundTrips) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
  Rng d = Rng::from_state(a.state());
  EXPECT_EQ(d.next(), a.next());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(a.below(7), 7u);
    float u = a.uniform();
    EXPECT_GE(u, 0.0f);
    EXPECT_LT(u, 1.0f);
  }
}

TEST(TrainRng, EpochOrderIsAPermutationFixedBySeedAndEpoch) {
  auto order = epoch_order(1, 0, 1000);
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (uint32_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(order, epoch_order(1, 0, 1000));
  EXPECT_NE(order, epoch_order(1, 1, 1000));
  EXPECT_NE(order, epoch_order(2, 0, 1000));
}

// Analytic gradients against central differences of the summed loss, for both networks.
void check_gradients(Arch arch) {
  Network net(arch);
  Rng rng(7);
  std::vector<float> params = net.initial_params(rng);
  Dataset data = synthetic_dataset(3, 11);
  std::vector<float> grads(net.param_count(), 123.0f);  // overwritten, not added to
  net.train_batch(params.data(), data.images.data(), data.labels.data(), 3, 1.0f, grads.data());
  int checked = 0, mismatched = 0;
  for (const auto& spec : net.params()) {
    // A few entries of every tensor, those with a gradient large enough to measure.
    for (size_t k = 0, tried = 0; k < spec.size() && tried < 400; k += 1 + spec.size() / 400, ++tried) {
      size_t i = spec.offset + k;
      if (std::fabs(grads[i]) < 2e-2f) continue;
      const float eps = 1e-3f, saved = params[i];
      params[i] = saved + eps;
      double up = net.evaluate(params.data(), data.images.data(), data.labels.data(), 3).loss_sum;
      params[i] = saved - eps;
      double down = net.evaluate(params.data(), data.images.data(), data.labels.data(), 3).loss_sum;
      params[i] = saved;
      double numeric = (up - down) / (2 * eps);
      if (std::fabs(grads[i] - numeric) > 3e-3 + 0.05 * std::fabs(numeric)) {
        ++mismatched;
        std::cerr << spec.name << "[" << k << "]: backward " << grads[i] << ", finite difference " << numeric << "\n";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  // A step of ±eps can carry a ReLU or a max-pool across its kink, where the finite
  // difference is off: allow a few such entries, not a pattern (a real error is in most).
  EXPECT_LE(mismatched * 20, checked) << mismatched << " of " << checked << " gradients disagree";
}

TEST(TrainNetwork, MlpGradientsMatchFiniteDifferences) { check_gradients(Arch::Mlp); }
TEST(TrainNetwork, CnnGradientsMatchFiniteDifferences) { check_gradients(Arch::Cnn); }

TEST(TrainNetwork, ParametersAreNamedAndShapedLikePyTorch) {
  Network mlp(Arch::Mlp);
  ASSERT_EQ(mlp.params().size(), 6u);
  EXPECT_EQ(mlp.params()[0].name, "fc1.weight");
  EXPECT_EQ(mlp.params()[0].shape, (std::vector<size_t>{256, 784}));
  EXPECT_EQ(mlp.param_count(), 784u * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  Network cnn(Arch::Cnn);
  EXPECT_EQ(cnn.params()[0].shape, (std::vector<size_t>{16, 1, 3, 3}));
  EXPECT_THROW(parse_arch("resnet"), std::invalid_argument);
}

TEST(TrainFixedPoint, SumsAreExactInAnyOrderAndOverflowIsRefused) {
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> values(1000);
  for (auto& v : values) v = dist(gen) * std::pow(10.0f, float(int(gen() % 9)) - 6);
  auto fixed_sum = [](const std::vector<float>& v) {
    int64_t s = 0;
    for (float x : v) s += to_fixed_point(x);
    return s;
  };
  auto shuffled = values;
  std::shuffle(shuffled.begin(), shuffled.end(), gen);
  EXPECT_EQ(fixed_sum(values), fixed_sum(shuffled));
  EXPECT_NEAR(from_fixed_point(to_fixed_point(0.125f)), 0.125f, 0.0f);
  EXPECT_NEAR(from_fixed_point(to_fixed_point(1e-6f)), 1e-6f, 1e-12f);
  EXPECT_THROW(to_fixed_point(1e6f), std::overflow_error);
  EXPECT_THROW(to_fixed_point(std::nanf("")), std::overflow_error);
}

TrainConfig small_config() {
  TrainConfig c;
  c.batch = 16, c.epochs = 2, c.train_limit = 64, c.test_limit = 16, c.lr = 0.05f;
  return c;
}

TEST(TrainCheckpoint, RoundTripsAndEqualStatesGiveEqualBytes) {
  test::TempDir dir("og-ckpt-test");
  SingleRank comm;
  TrainConfig c = small_config();
  Trainer trainer(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm);
  TrainState state = trainer.initial_state();
  trainer.run(state, 6, nullptr);
  auto a = dir.path() / "a.h5", b = dir.path() / "b.h5";
  write_checkpoint(a.string(), trainer.network(), {c, 1, state});
  write_checkpoint(b.string(), trainer.network(), {c, 1, state});
  EXPECT_EQ(slurp(a), slurp(b));
  EXPECT_FALSE(std::filesystem::exists(a.string() + ".tmp"));

  Checkpoint back = read_checkpoint(a.string(), trainer.network());
  EXPECT_EQ(back.state.step, 6u);
  EXPECT_EQ(back.state.params, state.params);
  EXPECT_EQ(back.state.velocity, state.velocity);
  EXPECT_EQ(back.state.rng, state.rng);
  EXPECT_EQ(back.state.epoch_correct, state.epoch_correct);
  EXPECT_EQ(back.state.history.size(), 1u);
  EXPECT_EQ(back.state.history[0].test_accuracy, state.history[0].test_accuracy);
  EXPECT_EQ(resume_mismatch(back.config, c), "");
  TrainConfig other = c;
  other.batch = 32;
  EXPECT_EQ(resume_mismatch(back.config, other), "--batch was 16, now 32");
  other = c;
  other.checkpoint_every = 5;  // it numbers the milestones
  EXPECT_EQ(resume_mismatch(back.config, other), "--checkpoint-every was 0, now 5");
  // A checkpoint that cannot be written leaves nothing behind and says so.
  auto nowhere = dir.path() / "missing-dir" / "c.h5";
  EXPECT_THROW(write_checkpoint(nowhere.string(), trainer.network(), {c, 1, state}), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(nowhere.string() + ".tmp"));
}

TEST(TrainCheckpoint, RefusesWhatIsNotOne) {
  test::TempDir dir("og-ckpt-test");
  Network mlp(Arch::Mlp), cnn(Arch::Cnn);
  auto junk = dir.path() / "junk.h5";
  std::ofstream(junk) << "not hdf5";
  EXPECT_THROW(
      {
        try {
          read_checkpoint(junk.string(), mlp);
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
          throw;
        }
      },
      std::runtime_error);
  SingleRank comm;
  TrainConfig c = small_config();
  Trainer trainer(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm);
  auto model = dir.path() / "mlp.h5";
  write_checkpoint(model.string(), trainer.network(), {c, 1, trainer.initial_state()});
  try {
    read_checkpoint(model.string(), cnn);
    ADD_FAILURE() << "an mlp checkpoint was read as a cnn";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("holds a mlp model"), std::string::npos) << e.what();
  }
  auto weights_only = dir.path() / "model.h5";
  write_checkpoint(weights_only.string(), trainer.network(), {c, 1, trainer.initial_state()}, false);
  EXPECT_THROW(read_checkpoint(weights_only.string(), mlp), std::runtime_error);  // no optimizer state
  EXPECT_THROW(read_checkpoint((dir.path() / "missing.h5").string(), mlp), std::runtime_error);
}

TEST(TrainCheckpoint, ResumedRunEqualsUninterruptedRun) {
  test::TempDir dir("og-ckpt-test");
  SingleRank comm;
  TrainConfig c = small_config();
  c.arch = Arch::Cnn;  // the CNN too: its state is all in the parameters
  Trainer whole(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm);
  TrainState uninterrupted = whole.initial_state();
  whole.run(uninterrupted, UINT64_MAX, nullptr);
  ASSERT_EQ(uninterrupted.step, 8u);

  // Stop mid-epoch (step 3 of 4), checkpoint, and carry on in a new trainer from the file.
  auto path = (dir.path() / "checkpoint.h5").string();
  Trainer first(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm);
  TrainState part = first.initial_state();
  first.run(part, 3, nullptr);
  write_checkpoint(path, first.network(), {c, 1, part});
  Trainer second(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm);
  TrainState resumed = read_checkpoint(path, second.network()).state;
  second.run(resumed, UINT64_MAX, nullptr);

  EXPECT_EQ(resumed.params, uninterrupted.params);
  EXPECT_EQ(resumed.velocity, uninterrupted.velocity);
  ASSERT_EQ(resumed.history.size(), 2u);
  EXPECT_EQ(resumed.history[0].train_loss, uninterrupted.history[0].train_loss);
  auto a = dir.path() / "a.h5", b = dir.path() / "b.h5";
  write_checkpoint(a.string(), whole.network(), {c, 1, uninterrupted}, false);
  write_checkpoint(b.string(), second.network(), {c, 1, resumed}, false);
  EXPECT_EQ(slurp(a), slurp(b));
}

TEST(TrainLearning, MlpLearnsFashionMnist) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "SKIPPED: dataset-fashion-mnist is not installed";
  SingleRank comm;
  TrainConfig c;
  c.epochs = 2, c.train_limit = 4096, c.test_limit = 1000;
  Trainer trainer(c, load_fashion_mnist(kFashionMnistDir, "train"), load_fashion_mnist(kFashionMnistDir, "t10k"),
                  comm);
  TrainState state = trainer.initial_state();
  trainer.run(state, UINT64_MAX, nullptr);
  ASSERT_EQ(state.history.size(), 2u);
  EXPECT_LT(state.history[1].train_loss, state.history[0].train_loss);
  EXPECT_GT(state.history[1].test_accuracy, 0.72);  // 10 % by chance
}

TEST(TrainConfigChecks, BadSettingsAreRefused) {
  SingleRank comm;
  TrainConfig c = small_config();
  c.batch = 0;
  EXPECT_THROW(Trainer(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm), std::invalid_argument);
  c = small_config();
  c.batch = 128;  // more than the 64 images
  EXPECT_THROW(Trainer(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm), std::invalid_argument);
  c = small_config();
  c.momentum = 1.5f;
  EXPECT_THROW(Trainer(c, synthetic_dataset(64, 1), synthetic_dataset(16, 2), comm), std::invalid_argument);
}

TEST(TrainReport, PngIsWellFormedAndMetricsAreCsv) {
  std::vector<EpochMetrics> history = {{1, 10, 0.9, 0.7, 0.8, 0.72}, {2, 20, 0.5, 0.85, 0.55, 0.83}};
  std::string png = learning_curves_png(history);
  ASSERT_GT(png.size(), 100u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // Walk the chunks, check each CRC, inflate the image data to its exact raw size.
  size_t at = 8;
  std::string idat, types;
  uint32_t width = 0, height = 0;
  auto u32 = [&](size_t i) {
    return uint32_t(uint8_t(png[i])) << 24 | uint32_t(uint8_t(png[i + 1])) << 16 | uint32_t(uint8_t(png[i + 2])) << 8 |
           uint32_t(uint8_t(png[i + 3]));
  };
  while (at < png.size()) {
    uint32_t length = u32(at);
    std::string type = png.substr(at + 4, 4), body = png.substr(at + 4, 4 + length);
    EXPECT_EQ(u32(at + 8 + length), uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))))
        << type;
    if (type == "IHDR") width = u32(at + 8), height = u32(at + 12);
    if (type == "IDAT") idat += png.substr(at + 8, length);
    types += type;
    at += 12 + length;
  }
  EXPECT_EQ(types, "IHDRIDATIEND");
  EXPECT_EQ(width, 640u);
  EXPECT_EQ(height, 480u);
  std::string raw(size_t(height) * (1 + width * 3), '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size, reinterpret_cast<const Bytef*>(idat.data()),
                       uLong(idat.size())),
            Z_OK);
  EXPECT_EQ(raw_size, raw.size());
  EXPECT_EQ(png, learning_curves_png(history));  // deterministic, so replicas agree on it
  // A diverged run (NaN or infinite loss) still gets a plot, of what is finite.
  std::vector<EpochMetrics> diverged = {{1, 10, std::nan(""), 0.1, INFINITY, 0.1}, {2, 20, 0.5, 0.2, 0.6, 0.2}};
  EXPECT_EQ(learning_curves_png(diverged).substr(1, 3), "PNG");

  EXPECT_EQ(metrics_csv(history),
            "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy\n"
            "1,10,0.900000,0.700000,0.800000,0.720000\n2,20,0.500000,0.850000,0.550000,0.830000\n");
  EXPECT_NE(metrics_json(history).find("\"test_accuracy\":0.830000"), std::string::npos);
}

}  // namespace
}  // namespace og::train
