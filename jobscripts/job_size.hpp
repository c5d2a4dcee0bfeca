// How sbatch sizes a job from the options it was given: the number of nodes, tasks, CPUs
// and GPUs Slurm 22.05 shows for it (NumNodes, NumTasks, NumCPUs, TRES), measured against
// Slurm itself (tests/integration/test_sbatch_vs_slurm.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/job_spec.hpp"

namespace og::jobscripts {

// The size options as given; unset ones are nullopt (0 GPUs: not asked for in that form).
struct SizeRequest {
  std::optional<uint32_t> nodes, nodes_max;  // -N MIN[-MAX]
  std::optional<uint32_t> ntasks;            // -n
  std::optional<uint32_t> ntasks_per_node;   // --ntasks-per-node, --tasks-per-node
  std::optional<uint32_t> ntasks_per_gpu;    // --ntasks-per-gpu
  uint32_t gpus_per_job = 0;                 // -G/--gpus
  uint32_t gpus_per_node = 0;                // --gpus-per-node, --gres=gpu[:TYPE]:N
  uint32_t gpus_per_task = 0;                // --gpus-per-task
};

// Writes the derived size into spec (nodes, nodes_max, ntasks, ntasks_per_node, gpus and
// their per-node / per-task forms); cpus_per_task and memory are the spec's own already.
// Throws og::UsageError when the options contradict each other.
void apply_size(const SizeRequest& request, JobSpec& spec);

}  // namespace og::jobscripts
