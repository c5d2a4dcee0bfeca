#include "scheduler/model.hpp"

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
  }
  return "UNKNOWN";
}

}  // namespace og
