#include "jobscripts/job_size.hpp"

#include "core/error.hpp"

namespace og::jobscripts {

void apply_size(const SizeRequest& r, JobSpec& spec) {
  spec.ntasks_per_node = r.ntasks_per_node.value_or(0);
  // Nodes: as given; else, with -n and --ntasks-per-node, as many as the tasks fill.
  uint32_t nodes = r.nodes.value_or(1);
  if (!r.nodes && r.ntasks && r.ntasks_per_node) nodes = (*r.ntasks + *r.ntasks_per_node - 1) / *r.ntasks_per_node;
  spec.nodes = nodes;
  spec.nodes_max = r.nodes_max && *r.nodes_max != nodes ? *r.nodes_max : 0;
  if (r.gpus_per_job && r.gpus_per_node && r.gpus_per_job % r.gpus_per_node != 0)
    throw UsageError("--gpus=" + std::to_string(r.gpus_per_job) + " is not a multiple of --gpus-per-node (or --gres=gpu:N) " +
                     std::to_string(r.gpus_per_node) + ", as sbatch requires: give one of them, or make them agree");
  spec.gpus_per_node = r.gpus_per_node;
  spec.gpus_per_task = r.gpus_per_task;
  // GPUs of the whole job, where they do not depend on the number of tasks.
  uint32_t job_gpus = r.gpus_per_job ? r.gpus_per_job : r.gpus_per_node * nodes;
  // Tasks: -n (--ntasks-per-node is then a maximum per node); else a node's worth per
  // node; else one per GPU share; else one per node.
  if (r.ntasks) spec.ntasks = *r.ntasks;
  else if (r.ntasks_per_node) spec.ntasks = nodes * *r.ntasks_per_node;
  else if (r.ntasks_per_gpu && job_gpus > 0) spec.ntasks = job_gpus * *r.ntasks_per_gpu;
  else spec.ntasks = nodes;
  if (r.ntasks_per_gpu && job_gpus == 0)
    throw UsageError("--ntasks-per-gpu needs GPUs: give --gpus, --gpus-per-node or --gres=gpu:N too");
  spec.gpus = job_gpus ? job_gpus : r.gpus_per_task * spec.ntasks;
}

}  // namespace og::jobscripts
