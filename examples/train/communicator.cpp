#include "examples/train/communicator.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#ifdef OG_TRAIN_HAVE_MPI
#include <mpi.h>
#endif

namespace og::train {
namespace {

constexpr double kScale = 1099511627776.0;  // 2^40
constexpr double kLimit = 32768.0;          // 2^15: a sum over up to kMaxRanks stays below 2^62
constexpr int kMaxRanks = 128;

class SingleProcess : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sum(std::vector<float>&) override {}
  void broadcast(void*, size_t) override {}
  const char* describe() const override { return "1 rank"; }
  void abort(int exit_code) override { std::exit(exit_code); }
};

#ifdef OG_TRAIN_HAVE_MPI
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string(what) + " failed (MPI error " + std::to_string(rc) + ")");
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(int& argc, char**& argv, bool deterministic) : deterministic_(deterministic) {
    check(MPI_Init(&argc, &argv), "MPI_Init");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (deterministic && size_ > kMaxRanks)
      throw std::runtime_error("deterministic mode sums exactly over at most " + std::to_string(kMaxRanks) +
                               " ranks; use fewer ranks or --nondeterministic");
    description_ = std::to_string(size_) + " MPI ranks, " +
                   (!deterministic ? "float sum (fast, order-dependent)"
                    : size_ <= 2 ? "float sum (bit-identical for two ranks)"
                                 : "fixed-point sum (bit-identical)");
  }
  ~MpiCommunicator() override { MPI_Finalize(); }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* describe() const override { return description_.c_str(); }
  void broadcast(void* data, size_t bytes) override {
    check(MPI_Bcast(data, int(bytes), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
  }
  void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::exit(exit_code);
  }

  void sum(std::vector<float>& values) override {
    // Two ranks need no fixed point: each element is one addition a + b, and IEEE
    // addition is commutative, so both ranks get the same bits whatever the algorithm.
    if (!deterministic_ || size_ <= 2) {
      check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce");
      return;
    }
    fixed_.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) fixed_[i] = to_fixed_point(values[i]);
    check(MPI_Allreduce(MPI_IN_PLACE, fixed_.data(), int(fixed_.size()), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
    for (size_t i = 0; i < values.size(); ++i) values[i] = from_fixed_point(fixed_[i]);
  }

 private:
  bool deterministic_;
  int rank_ = 0, size_ = 1;
  std::string description_;
  std::vector<int64_t> fixed_;
};
#endif

}  // namespace

int64_t to_fixed_point(float value) {
  double v = static_cast<double>(value);
  if (!(std::fabs(v) < kLimit))
    throw std::overflow_error("a gradient of " + std::to_string(value) +
                              " is too large to sum exactly (the run diverged: lower --lr)");
  return std::llrint(v * kScale);
}

float from_fixed_point(int64_t value) { return static_cast<float>(static_cast<double>(value) / kScale); }

std::unique_ptr<Communicator> make_communicator(int& argc, char**& argv, bool deterministic) {
  bool under_mpirun = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
#ifdef OG_TRAIN_HAVE_MPI
  if (under_mpirun) return std::make_unique<MpiCommunicator>(argc, argv, deterministic);
#else
  (void)argc, (void)argv, (void)deterministic;
  if (under_mpirun) throw std::runtime_error("og-train was built without MPI but started by mpirun");
#endif
  return make_single_process();
}

std::unique_ptr<Communicator> make_single_process() { return std::make_unique<SingleProcess>(); }

}  // namespace og::train
