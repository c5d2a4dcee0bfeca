#include "scheduler/json_views.hpp"

#include "core/verify_mode.hpp"

#include <cmath>

#include "core/money.hpp"
#include "scheduler/placement.hpp"

namespace og {

nlohmann::json job_json(const JobView& view) {
  const Job& j = view.job;
  const JobSpec& s = j.spec;
  nlohmann::json out = {
      {"job_id", j.id},
      {"name", s.name},
      {"user_name", j.user},
      {"account", s.account},
      {"qos", s.qos},
      // One partition name as in Slurm: the requested one, else where the first replica ran.
      {"partition", !s.partition.empty() ? s.partition
                                         : view.nodelist.substr(0, view.nodelist.find(','))},
      {"nodes", view.nodelist},
      {"job_state", std::string(to_string(j.state))},
      {"state_reason", j.reason},
      {"exit_code", j.exit_code},
      {"submit_time", j.submit_us / 1000000},
      {"start_time", j.start_us / 1000000},
      {"end_time", j.end_us / 1000000},
      {"time_limit", s.time_limit_s == kTimeUnlimited ? -1 : s.time_limit_s / 60},
      {"time_limit_s", s.time_limit_s},
      {"node_count", s.nodes},
      {"node_count_max", s.nodes_max ? s.nodes_max : s.nodes},
      {"tasks", s.ntasks},
      {"tasks_per_node", s.ntasks_per_node},
      {"cpus_per_task", s.cpus_per_task},
      {"cpus", s.total_cpus()},
      {"memory_mb", s.total_mem_mb()},  // the whole job's, as Slurm's TRES mem
      {"memory_per_node_mb", s.mem_mb},
      {"memory_per_cpu_mb", s.mem_per_cpu_mb},
      {"memory_per_gpu_mb", s.mem_per_gpu_mb},
      {"gpus", s.gpus},
      {"gpus_per_node", s.gpus_per_node},
      {"gpus_per_task", s.gpus_per_task},
      {"gpu_type", s.gpu_type},
      {"gpu_memory_mb", s.gpu_mem_mb},
      {"cuda_version", s.cuda},
      {"nice", s.nice},
      {"comment", s.comment},
      {"hold", s.hold},
      {"replicas", s.replicas},
      {"quorum", s.quorum},
      {"requeue", s.requeue},
      {"requeue_count", j.requeue_count},
      {"dependency", s.dependency},
      {"array_task_throttle", j.array_max_running},
      {"working_directory", s.chdir},
      {"export", s.export_mode},
      {"canonical_root", j.canonical_root},
      {"checkpoint_milestone", j.checkpoint_milestone},
      {"standard_output", s.output},
      {"standard_error", s.error},
      {"current_working_directory", s.submit_dir},
      {"container_image", s.image},
      {"data", s.data},
      {"script_name", s.script_name},
      {"max_price", format_money(s.max_price_micros)},
      {"max_gpu_price", format_money(s.max_gpu_price_micros)},
      {"exclusive", s.exclusive},
      {"features", s.constraint},
      {"settled", j.settled},
      {"cost", format_money(j.cost_micros)},
      {"fee", format_money(j.fee_micros)},
      {"validator_pay", format_money(j.validator_pay_micros)},
      {"verify", s.verify},
      {"paid_to", j.paid_to},
      {"bundle_sha256", s.bundle_sha256},
      {"bundle_bytes", s.bundle_bytes},
      {"signer", s.signer},
      {"isolation", view.isolation},
      {"isolation_required", s.isolation},
      {"network", s.network},
  };
  if (j.is_array_task()) {
    out["array_job_id"] = j.array_job_id;
    out["array_task_id"] = j.array_task_id;
  } else {
    out["array_job_id"] = 0;
    out["array_task_id"] = nullptr;
  }
  return out;
}

nlohmann::json replica_json(const Replica& r, bool with_manifest) {
  nlohmann::json out = {
      {"lease_id", r.id},
      {"partition", r.partition},
      {"state", std::string(to_string(r.state))},
      {"outcome", r.outcome},
      {"exit_code", r.exit_code},
      {"root", r.root},
      {"price_per_hour", format_money(r.price_micros)},
      {"gpu_indices", gpu_indices(r.gpu_mask)},
      {"start_time", r.start_us / 1000000},
      {"end_time", r.end_us / 1000000},
  };
  if (with_manifest && !r.manifest_json.empty())
    out["manifest"] = nlohmann::json::parse(r.manifest_json, nullptr, false);
  if (r.validates) {  // a validation task: its scores by replica
    nlohmann::json scores = nlohmann::json::object();
    for (const auto& [lease, score] : r.scores) scores[std::to_string(lease)] = score;
    out["scores"] = std::move(scores);
  }
  return out;
}

nlohmann::json partition_json(const Partition& p, int64_t now_mono_us) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : p.gpu->gpu_devices) {
    nlohmann::json one = to_json(g);
    one["allocated"] = (p.used_gpu_mask >> g.index & 1) != 0;
    one["price_per_gpu_hour"] = format_money(gpu_price_of(p, g.model));
    gpus.push_back(std::move(one));
  }
  return {
      {"gres", gres_of(p)},
      {"gpu_devices", std::move(gpus)},
      {"cuda_version", p.gpu->cuda_version},
      {"driver_version", p.gpu->driver_version},
      {"name", p.name},
      {"owner", p.owner},
      {"state", std::string(to_string(p.state))},
      {"nodes", p.nodes},
      {"cpus", p.cpus},
      {"cpus_allocated", p.used_cpus},
      {"memory_mb", p.memory_mb},
      {"memory_allocated_mb", p.used_memory_mb},
      {"gpus", p.gpus},
      {"gpus_allocated", p.used_gpus},
      {"gpu_type", p.gpu_type},
      {"price_per_cpu_hour", format_money(p.price_micros)},
      {"price_per_gpu_hour", format_money(p.gpu_price_micros)},
      {"operator", p.operator_name},
      {"validator", p.validator},
      {"reputation", std::round(p.reputation * 1000) / 1000},
      {"valid_streak", p.valid_streak},
      {"features", p.features},
      {"isolation", p.isolation},
      {"egress", p.egress},
      {"registries", p.registries},
      {"cached", p.cached.size()},
      {"last_seen_ms_ago", (now_mono_us - p.last_seen_us) / 1000},
      {"instance", p.instance},
  };
}

std::vector<uint32_t> gpu_indices(uint64_t mask) {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < kMaxGpuDevices; ++i)
    if (mask >> i & 1) out.push_back(i);
  return out;
}

namespace {

nlohmann::json validation_json(const Lease& lease) {
  auto mode = parse_verify_mode(lease.job.spec.verify);
  nlohmann::json replicas = nlohmann::json::array();
  for (const auto& [id, root] : lease.scored) replicas.push_back({{"lease", id}, {"root", root}});
  return {{"script", mode ? mode->score_script : ""}, {"replicas", replicas}};
}

}  // namespace

nlohmann::json lease_json(const Lease& lease) {
  JobSpec spec = lease.job.spec;
  spec.submit_dir.clear();  // a path on the requester's machine: not the provider's to know
  return {
      {"lease_id", lease.replica.id},
      {"job_id", lease.job.id},
      {"user", lease.job.user},
      {"array_job_id", lease.job.array_job_id},
      {"array_task_id", lease.job.array_task_id},
      {"requeue_count", lease.job.requeue_count},
      {"spec", to_json(spec)},
      // The GPUs it holds, by the worker's index (none: the job asked for none, or the
      // partition offers a bare count).
      {"gpu_indices", gpu_indices(lease.replica.gpu_mask)},
      // Where a replica replacing a lost one picks up: the last verified checkpoint.
      {"resume", lease.job.checkpoint_sha256.empty()
                     ? nlohmann::json(nullptr)
                     : nlohmann::json{{"milestone", lease.job.checkpoint_milestone},
                                      {"sha256", lease.job.checkpoint_sha256}}},
      // A validation task: run the job's scoring script over these replicas' outputs.
      {"validation", lease.replica.validates ? validation_json(lease) : nlohmann::json(nullptr)},
  };
}

}  // namespace og
