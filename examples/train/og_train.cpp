// og-train: trains the Fashion-MNIST example networks, alone or under mpirun, writing
// checkpoint.h5 (and a milestone for each), model.h5, metrics.csv/.json and curves.png.
#include <cblas.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "examples/train/checkpoint.hpp"
#include "examples/train/communicator.hpp"
#include "examples/train/gpu_mlp.hpp"
#include "examples/train/learning_curves.hpp"
#include "examples/train/trainer.hpp"

namespace fs = std::filesystem;
using namespace og::train;

namespace {

constexpr const char* kUsage =
    "usage: og-train [--model mlp|cnn] [--epochs N] [--batch B] [--lr X] [--momentum M]\n"
    "                [--weight-decay W] [--seed S] [--data DIR] [--out DIR]\n"
    "                [--checkpoint-every STEPS] [--resume FILE|auto] [--stop-after STEPS]\n"
    "                [--train-limit N] [--test-limit N] [--milestones DIR] [--nondeterministic]\n"
    "                [--numbers-only] [--device cpu|gpu|auto]\n"
    "Run it under mpirun -np R for R data-parallel ranks. --resume auto continues from\n"
    "OUT/checkpoint.h5, else from $OG_RESUME_CHECKPOINT (a requeued job's last verified\n"
    "checkpoint), else starts afresh. Checkpoints default to one per epoch.\n"
    "--numbers-only writes only HDF5 and CSV (no metrics.json, curves.png), for jobs\n"
    "verified with --verify=fuzzy:TOL when replicas cannot be bit-identical.\n"
    "--device auto (the default) trains the MLP on a GPU when there is one (CUDA, NCCL\n"
    "between ranks); GPU and CPU results agree to rounding, not bit for bit.\n";

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  TrainConfig config;
  std::string data = kFashionMnistDir, out = ".", resume, milestones, device = "auto";
  uint64_t stop_after = UINT64_MAX;
  bool deterministic = true;
  bool numbers_only = false;  // only what --verify=fuzzy compares number by number
};

uint64_t count_value(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size() && v >= 0) return uint64_t(v);
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " needs a whole number of 0 or more, not \"" + text + "\"");
}

float real_value(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    float v = std::stof(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(flag + " needs a finite number, not \"" + text + "\"");
}

Options parse(int argc, char** argv) {
  Options o;
  if (const char* m = std::getenv("OG_MILESTONES")) o.milestones = m;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (flag == "--nondeterministic") {
      o.deterministic = false;
      continue;
    }
    if (flag == "--numbers-only") {
      o.numbers_only = true;
      continue;
    }
    if (i + 1 >= argc) throw UsageError("unknown option or missing value: " + flag);
    std::string v = argv[++i];
    auto& c = o.config;
    if (flag == "--model") {
      try {
        c.arch = parse_arch(v);
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (flag == "--epochs") c.epochs = count_value(flag, v);
    else if (flag == "--batch") c.batch = count_value(flag, v);
    else if (flag == "--lr") c.lr = real_value(flag, v);
    else if (flag == "--momentum") c.momentum = real_value(flag, v);
    else if (flag == "--weight-decay") c.weight_decay = real_value(flag, v);
    else if (flag == "--seed") c.seed = count_value(flag, v);
    else if (flag == "--train-limit") c.train_limit = count_value(flag, v);
    else if (flag == "--test-limit") c.test_limit = count_value(flag, v);
    else if (flag == "--data") o.data = v;
    else if (flag == "--out") o.out = v;
    else if (flag == "--resume") o.resume = v;
    else if (flag == "--milestones") o.milestones = v;
    else if (flag == "--device") {
      if (v != "cpu" && v != "gpu" && v != "auto") throw UsageError("--device takes cpu, gpu or auto, not \"" + v + "\"");
      o.device = v;
    }
    else if (flag == "--checkpoint-every") c.checkpoint_every = count_value(flag, v);
    else if (flag == "--stop-after") o.stop_after = count_value(flag, v);
    else throw UsageError("unknown option " + flag);
  }
  return o;
}

void write_atomically(const fs::path& path, const std::string& bytes) {
  fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + path.string() + " (disk full?)");
    }
  }
  fs::rename(tmp, path);
}

// The checkpoint also becomes milestone k: a hard link (or copy) renamed into place, so
// the worker only ever sees whole files.
void report_milestone(const std::string& dir, uint64_t k, const fs::path& checkpoint) {
  if (dir.empty()) return;
  fs::path tmp = fs::path(dir) / ("." + std::to_string(k)), final_path = fs::path(dir) / std::to_string(k);
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_hard_link(checkpoint, tmp, ec);
  if (ec) fs::copy_file(checkpoint, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, final_path);
}

std::string resume_source(const Options& o) {
  if (o.resume != "auto") return o.resume;
  if (fs::exists(fs::path(o.out) / "checkpoint.h5")) return (fs::path(o.out) / "checkpoint.h5").string();
  const char* handed = std::getenv("OG_RESUME_CHECKPOINT");
  if (handed && *handed && fs::exists(handed)) return handed;
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "og-train: " << e.what() << "\n" << kUsage;
    return 2;
  }
  std::unique_ptr<Communicator> comm;
  try {
    comm = make_communicator(argc, argv, o.deterministic);
    // One BLAS thread per rank: the ranks are the parallelism, and OpenBLAS results change
    // with its thread count (measured), so a fixed count keeps replicas identical.
    openblas_set_num_threads(1);
    const bool lead = comm->rank() == 0;
    Trainer trainer(o.config, load_fashion_mnist(o.data, "train"), load_fashion_mnist(o.data, "t10k"), *comm);
    TrainState state = trainer.initial_state();
    if (lead) fs::create_directories(o.out);

    std::string from = o.resume.empty() ? "" : resume_source(o);
    if (!from.empty()) {
      Checkpoint cp = read_checkpoint(from, trainer.network());
      if (std::string why = resume_mismatch(cp.config, o.config); !why.empty())
        throw std::runtime_error(from + " is from a different run (" + why + "); start afresh or use its settings");
      if (lead && cp.ranks != comm->size())
        std::cerr << "og-train: note: resuming a " << cp.ranks << "-rank checkpoint on " << comm->size()
                  << " ranks; the result will not be bit-identical to an uninterrupted run\n";
      state = std::move(cp.state);
      if (lead) std::cout << "resumed from " << from << " at step " << state.step << "\n";
    }

    const uint64_t every = o.config.checkpoint_every ? o.config.checkpoint_every : trainer.steps_per_epoch();
    std::unique_ptr<GpuMlp> gpu;
    GpuStatus gpus = gpu_status();
    if (o.device == "gpu" && gpus.devices == 0) throw std::runtime_error("--device gpu: " + gpus.why_none);
    if (o.device == "gpu" || (o.device == "auto" && gpus.devices > 0 && o.config.arch == Arch::Mlp)) {
      try {
        gpu = std::make_unique<GpuMlp>(trainer.network(), *comm, o.config.batch / size_t(comm->size()));
        trainer.use_gpu(gpu.get(), every);
      } catch (const std::runtime_error& e) {
        if (o.device == "gpu") throw;
        if (lead) std::cerr << "og-train: note: training on the CPU: " << e.what() << "\n";
      }
    }
    const fs::path out(o.out);
    auto snapshot = [&](const TrainState& s) { return Checkpoint{o.config, comm->size(), s}; };
    if (lead)
      std::cout << "og-train: " << arch_name(o.config.arch) << ", " << trainer.network().param_count()
                << " parameters, " << comm->describe() << ", "
                << (gpu ? gpu->describe() : std::string("BLAS ") + openblas_get_corename()) << ", "
                << trainer.total_steps() << " steps of " << o.config.batch << "\n"
                << std::flush;

    auto started = std::chrono::steady_clock::now();
    const uint64_t first_step = state.step;
    size_t epochs_reported = state.history.size();
    trainer.run(state, o.stop_after, [&](const TrainState& s) {
      if (!lead) return;
      if (s.history.size() > epochs_reported) {
        epochs_reported = s.history.size();
        const auto& m = s.history.back();
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::printf("epoch %llu/%zu: train loss %.4f acc %.4f, test loss %.4f acc %.4f (%.1f s)\n",
                    (unsigned long long)m.epoch, o.config.epochs, m.train_loss, m.train_accuracy, m.test_loss,
                    m.test_accuracy, secs);
        std::fflush(stdout);
        write_atomically(out / "metrics.csv", metrics_csv(s.history));
        if (!o.numbers_only) write_atomically(out / "metrics.json", metrics_json(s.history));
      }
      if (s.step % every == 0 || s.step == trainer.total_steps()) {
        write_checkpoint((out / "checkpoint.h5").string(), trainer.network(), snapshot(s));
        report_milestone(o.milestones, (s.step + every - 1) / every, out / "checkpoint.h5");
      }
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (lead) {
      uint64_t samples = (state.step - first_step) * o.config.batch;
      double training = secs - trainer.evaluation_seconds();
      if (samples > 0)
        std::printf("throughput: %.0f samples/s (%llu steps in %.3f s, evaluation %.3f s more)\n",
                    double(samples) / training, (unsigned long long)(state.step - first_step), training,
                    trainer.evaluation_seconds());
      if (state.step >= trainer.total_steps()) {
        write_checkpoint((out / "model.h5").string(), trainer.network(), snapshot(state), false);
        write_atomically(out / "metrics.csv", metrics_csv(state.history));
        if (!o.numbers_only) {
          write_atomically(out / "metrics.json", metrics_json(state.history));
          write_atomically(out / "curves.png", learning_curves_png(state.history));
        }
        if (!state.history.empty())
          std::printf("final test accuracy %.4f\n", state.history.back().test_accuracy);
      } else {
        std::printf("stopped at step %llu of %zu\n", (unsigned long long)state.step, trainer.total_steps());
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "og-train: error: " << e.what() << "\n";
    if (comm && comm->size() > 1) comm->abort(1);
    return 1;
  }
}
