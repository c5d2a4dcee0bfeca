// og-bench-allreduce: what summing the MLP's gradient over the ranks costs. Times
// MPI_Allreduce at the gradient's size (235,146 parameters + 2 metrics) as float (what
// og-train sends for two ranks) and as 64-bit fixed point (more ranks), against a plain
// memcpy of the same bytes. Run it under mpirun -np R; rank 0 prints one line per case.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kCount = 235146 + 2;
constexpr int kRounds = 200;

template <typename F>
double median_seconds(F&& once) {
  std::vector<double> times;
  for (int i = 0; i < kRounds + 10; ++i) {
    auto start = std::chrono::steady_clock::now();
    once();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= 10) times.push_back(s);  // the first rounds warm caches and connections
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

void report(int rank, const char* what, size_t bytes, double seconds) {
  if (rank == 0)
    std::printf("%-34s %9zu bytes  %8.1f us  %6.2f GB/s\n", what, bytes, seconds * 1e6, double(bytes) / seconds / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<float> grads(kCount, 1.0f / float(rank + 1)), copy(kCount);
  std::vector<int64_t> fixed(kCount, rank + 1), fixed_copy(kCount);
  if (rank == 0) std::printf("%d ranks, %zu values\n", size, kCount);

  report(rank, "memcpy float", kCount * 4, median_seconds([&] {
           std::memcpy(copy.data(), grads.data(), kCount * 4);
           asm volatile("" ::: "memory");
         }));
  report(rank, "MPI_Allreduce float SUM", kCount * 4, median_seconds([&] {
           MPI_Allreduce(MPI_IN_PLACE, grads.data(), int(kCount), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
         }));
  report(rank, "memcpy int64", kCount * 8, median_seconds([&] {
           std::memcpy(fixed_copy.data(), fixed.data(), kCount * 8);
           asm volatile("" ::: "memory");
         }));
  report(rank, "MPI_Allreduce int64 SUM (fixed pt)", kCount * 8, median_seconds([&] {
           MPI_Allreduce(MPI_IN_PLACE, fixed.data(), int(kCount), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
         }));
  MPI_Finalize();
  return 0;
}
