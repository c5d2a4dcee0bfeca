// How the ranks of a data-parallel job add up their gradients. One process alone needs
// nothing; under mpirun the sum is an MPI_Allreduce. In deterministic mode (the default)
// each value is first turned into a 64-bit fixed-point integer (2⁻⁴⁰ resolution): integer
// addition is exact and associative, so the sum is the same bits whatever reduction tree
// or arrival order the MPI library picks, and replicas with the same rank count agree.
// Two ranks skip the conversion: a + b == b + a exactly, so a float sum already gives
// the same bits on every rank and every run.
#pragma once

#include <memory>
#include <vector>

namespace og::train {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every rank ends with the element-wise sum over all ranks of `values`.
  virtual void sum(std::vector<float>& values) = 0;
  // Every rank ends with rank 0's `bytes` at `data` (e.g. NCCL's bootstrap id).
  virtual void broadcast(void* data, size_t bytes) = 0;
  virtual const char* describe() const = 0;
  // Ends every rank at once after an error on this one (instead of leaving them waiting).
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// The fixed-point form used by the deterministic sum; throws std::overflow_error for a
// value beyond ±2¹⁵ (a diverged run), which could not be summed exactly.
int64_t to_fixed_point(float value);
float from_fixed_point(int64_t value);

// One rank alone: sums are the values themselves.
std::unique_ptr<Communicator> make_single_process();

// MPI when this process was started by mpirun (and MPI was found at build time), else a
// single rank. Initialises MPI; the communicator finalises it when destroyed.
std::unique_ptr<Communicator> make_communicator(int& argc, char**& argv, bool deterministic);

}  // namespace og::train
