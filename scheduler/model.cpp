#include "scheduler/model.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace og {
namespace {
constexpr std::array<std::string_view, 5> kReplicaStates = {"ASSIGNED", "RUNNING", "DONE", "LOST",
                                                            "CANCELLED"};
}

std::string_view to_string(ReplicaState state) {
  return kReplicaStates[static_cast<size_t>(state)];
}

ReplicaState replica_state_from_string(std::string_view text) {
  for (size_t i = 0; i < kReplicaStates.size(); ++i)
    if (kReplicaStates[i] == text) return static_cast<ReplicaState>(i);
  throw std::runtime_error("unknown replica state " + std::string(text));
}

std::string_view to_string(PartitionState state) {
  switch (state) {
    case PartitionState::Up: return "UP";
    case PartitionState::Drain: return "DRAIN";
    case PartitionState::Down: return "DOWN";
    case PartitionState::Unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

int64_t expected_end_us(const JobSpec& spec, int64_t start_us) {
  if (spec.time_limit_s <= 0) return kNever;  // UNLIMITED (or not yet defaulted)
  return start_us + spec.time_limit_s * 1'000'000;
}

void Partition::allocate(uint64_t job_id, const Allocation& a) {
  if (allocations.count(job_id)) return;  // already held: one replica per partition
  if (a.gpu_mask & used_gpu_mask)
    throw std::logic_error("GPUs of partition " + name + " allocated twice (job " + std::to_string(job_id) + ")");
  allocations.emplace(job_id, a);
  used_gpu_mask |= a.gpu_mask;
  used_cpus += a.cpus;
  used_memory_mb += a.memory_mb;
  used_gpus += a.gpus;
}

void Partition::release(uint64_t job_id) {
  auto it = allocations.find(job_id);
  if (it == allocations.end()) return;
  const Allocation& a = it->second;
  used_cpus -= std::min(used_cpus, a.cpus);
  used_memory_mb -= std::min(used_memory_mb, a.memory_mb);
  used_gpus -= std::min(used_gpus, a.gpus);
  used_gpu_mask &= ~a.gpu_mask;
  allocations.erase(it);
}

}  // namespace og
