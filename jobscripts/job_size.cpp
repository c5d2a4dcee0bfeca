#include "jobscripts/job_size.hpp"

#include "core/error.hpp"

namespace og::jobscripts {

void apply_size(const SizeRequest& r, JobSpec& spec) {
  using Gpus = SizeRequest::Gpus;
  spec.ntasks_per_node = r.ntasks_per_node.value_or(0);
  // Nodes: as given; else, with -n and --ntasks-per-node, as many as the tasks fill.
  uint32_t nodes = r.nodes.value_or(1);
  if (!r.nodes && r.ntasks && r.ntasks_per_node) nodes = (*r.ntasks + *r.ntasks_per_node - 1) / *r.ntasks_per_node;
  spec.nodes = nodes;
  spec.nodes_max = r.nodes_max && *r.nodes_max != nodes ? *r.nodes_max : 0;
  // GPUs of the whole job, where they do not depend on the number of tasks.
  spec.gpus_per_node = r.gpu_form == Gpus::PerNode ? r.gpu_count : 0;
  spec.gpus_per_task = r.gpu_form == Gpus::PerTask ? r.gpu_count : 0;
  uint32_t job_gpus = r.gpu_form == Gpus::PerJob ? r.gpu_count : r.gpu_form == Gpus::PerNode ? r.gpu_count * nodes : 0;
  // Tasks: -n (--ntasks-per-node is then a maximum per node); else a node's worth per
  // node; else one per GPU share; else one per node.
  if (r.ntasks) spec.ntasks = *r.ntasks;
  else if (r.ntasks_per_node) spec.ntasks = nodes * *r.ntasks_per_node;
  else if (r.ntasks_per_gpu && job_gpus > 0) spec.ntasks = job_gpus * *r.ntasks_per_gpu;
  else spec.ntasks = nodes;
  if (r.ntasks_per_gpu && job_gpus == 0)
    throw UsageError("--ntasks-per-gpu needs GPUs: give --gpus, --gpus-per-node or --gres=gpu:N too");
  spec.gpus = r.gpu_form == Gpus::PerTask ? r.gpu_count * spec.ntasks : job_gpus;
}

}  // namespace og::jobscripts
