// How sbatch sizes a job from the options it was given: the number of nodes, tasks, CPUs
// and GPUs Slurm 22.05 shows for it (NumNodes, NumTasks, NumCPUs, TRES), measured against
// Slurm itself (tests/integration/test_sbatch_vs_slurm.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/job_spec.hpp"

namespace og::jobscripts {

// The size options as given; unset ones are nullopt. For GPUs the last form given wins,
// as the GPU options override each other in sbatch.
struct SizeRequest {
  std::optional<uint32_t> nodes, nodes_max;  // -N MIN[-MAX]
  std::optional<uint32_t> ntasks;            // -n
  std::optional<uint32_t> ntasks_per_node;   // --ntasks-per-node, --tasks-per-node
  std::optional<uint32_t> ntasks_per_gpu;    // --ntasks-per-gpu
  enum class Gpus { None, PerJob, PerNode, PerTask } gpu_form = Gpus::None;
  uint32_t gpu_count = 0;                    // in that form
};

// Writes the derived size into spec (nodes, nodes_max, ntasks, ntasks_per_node, gpus and
// their per-node / per-task forms); cpus_per_task and memory are the spec's own already.
// Throws og::UsageError when the options contradict each other.
void apply_size(const SizeRequest& request, JobSpec& spec);

}  // namespace og::jobscripts
