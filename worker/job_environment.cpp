#include "worker/job_environment.hpp"

#include <pwd.h>
#include <unistd.h>

#include <map>

#include "core/error.hpp"
#include "jobscripts/array_spec.hpp"

namespace og {
namespace {

// SLURM_ARRAY_TASK_COUNT, _MIN, _MAX and _STEP, from the array's spec ("1-5:2%2").
void add_array_variables(const std::string& array, std::map<std::string, std::string>& env) {
  std::vector<uint32_t> ids;
  try {
    ids = jobscripts::parse_array_spec(array).task_ids;
  } catch (const UsageError&) {
    return;  // og-schedd checked it; an older one may have sent none
  }
  if (ids.empty()) return;
  // The stride of a single "A-B:S" range; 1 for anything else, even 1,3,5 (as Slurm sets it).
  std::string ranges = array.substr(0, array.find('%'));
  uint32_t step = 1;
  if (ranges.find(',') == std::string::npos && ranges.find(':') != std::string::npos)
    step = static_cast<uint32_t>(std::stoul(ranges.substr(ranges.find(':') + 1)));
  env["SLURM_ARRAY_TASK_COUNT"] = std::to_string(ids.size());
  env["SLURM_ARRAY_TASK_MIN"] = std::to_string(ids.front());
  env["SLURM_ARRAY_TASK_MAX"] = std::to_string(ids.back());
  env["SLURM_ARRAY_TASK_STEP"] = std::to_string(step);
}

}  // namespace

std::vector<std::string> job_environment(const LeaseTask& t, const JobPlace& place) {
  const JobSpec& s = t.spec;
  std::map<std::string, std::string> env;
  // The image's variables, then the requester's, so ours below win on a clash.
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& kv : place.image_env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    if (kv.compare(0, eq, "PATH") == 0) path = kv.substr(eq + 1);  // where the image keeps its programs
    else env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : s.environment) env[k] = v;
  std::string id = std::to_string(t.job_id);
  std::string cpus_on_node = std::to_string(s.total_cpus());
  env.insert_or_assign("PATH", place.tools_dir.empty() ? path : place.tools_dir + ":" + path);
  env.insert_or_assign("HOME", place.job_dir);
  env.insert_or_assign("PWD", place.cwd);
  env.insert_or_assign("TMPDIR", place.job_dir + "/.og");
  // The account the job runs as (id -un says the same); SLURM_JOB_USER names the requester.
  env.insert_or_assign("USER", place.account.name.empty() ? t.user : place.account.name);
  env.insert_or_assign("LOGNAME", place.account.name.empty() ? t.user : place.account.name);
  env.insert_or_assign("SHELL", place.account.shell.empty() ? "/bin/sh" : place.account.shell);
  if (!env.count("LANG")) env["LANG"] = "C.UTF-8";
  // The SLURM_* variables below would make Open MPI's mpirun look for srun and Slurm's
  // allocation; on a partition it launches its ranks itself, here.
  if (!env.count("OMPI_MCA_plm")) env["OMPI_MCA_plm"] = "^slurm";
  if (!env.count("OMPI_MCA_ras")) env["OMPI_MCA_ras"] = "^slurm";

  env["OG_JOB_ID"] = id;
  env["OG_LEASE_ID"] = std::to_string(t.lease_id);
  env["OG_JOB_DIR"] = place.job_dir;
  // Milestones: a file named 1, 2, ... here (written, then renamed into place) tells
  // og-schedd the job got that far; replicas that agree on it are paid so far.
  env["OG_MILESTONES"] = place.job_dir + "/.og/milestones";
  // A replica replacing a lost one: the last checkpoint a quorum verified, to resume from.
  if (!t.resume_checkpoint.empty()) {
    env["OG_RESUME_CHECKPOINT"] = place.job_dir + "/" + kResumeCheckpointPath;
    env["OG_RESUME_MILESTONE"] = std::to_string(t.resume_milestone);
  }
  env["OG_PARTITION"] = place.partition;
  env["OG_REPLICAS"] = std::to_string(s.replicas);
  env["OG_NETWORK"] = s.network;

  env["SLURM_JOB_ID"] = id;
  env["SLURM_JOBID"] = id;
  env["SLURM_JOB_NAME"] = s.name;
  env["SLURM_JOB_USER"] = t.user;
  env["SLURM_JOB_PARTITION"] = place.partition;
  env["SLURM_JOB_NODELIST"] = place.partition;
  env["SLURM_NODELIST"] = place.partition;
  env["SLURMD_NODENAME"] = place.partition;
  env["SLURM_CLUSTER_NAME"] = "opengrid";
  env["SLURM_SUBMIT_HOST"] = "opengrid";
  // On a mesh the job's files live in its work directory, not the requester's machine.
  env["SLURM_SUBMIT_DIR"] = place.job_dir;
  env["SLURM_NTASKS"] = std::to_string(s.ntasks);
  env["SLURM_NPROCS"] = std::to_string(s.ntasks);
  env["SLURM_NNODES"] = std::to_string(s.nodes);
  env["SLURM_JOB_NUM_NODES"] = std::to_string(s.nodes);
  env["SLURM_CPUS_PER_TASK"] = std::to_string(s.cpus_per_task);
  env["SLURM_CPUS_ON_NODE"] = cpus_on_node;
  env["SLURM_JOB_CPUS_PER_NODE"] = cpus_on_node;
  env["SLURM_TASKS_PER_NODE"] = std::to_string(s.ntasks);
  env["SLURM_RESTART_COUNT"] = std::to_string(t.requeue_count);
  if (s.ntasks_per_node) env["SLURM_NTASKS_PER_NODE"] = std::to_string(s.ntasks_per_node);
  if (s.mem_mb) env["SLURM_MEM_PER_NODE"] = std::to_string(s.mem_mb);
  if (s.mem_per_cpu_mb) env["SLURM_MEM_PER_CPU"] = std::to_string(s.mem_per_cpu_mb);
  if (s.mem_per_gpu_mb) env["SLURM_MEM_PER_GPU"] = std::to_string(s.mem_per_gpu_mb);
  if (s.gpus_per_node) env["SLURM_GPUS_PER_NODE"] = std::to_string(s.gpus_per_node);
  if (s.gpus_per_task) env["SLURM_GPUS_PER_TASK"] = std::to_string(s.gpus_per_task);
  if (!s.account.empty()) env["SLURM_JOB_ACCOUNT"] = s.account;
  if (!s.qos.empty()) env["SLURM_JOB_QOS"] = s.qos;
  // The batch script is the job's first task, on its first node, as in Slurm's batch step.
  for (const char* first : {"SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_GTIDS", "SLURM_PRIO_PROCESS"})
    env[first] = "0";
  env["SLURM_TOPOLOGY_ADDR"] = place.partition;
  env["SLURM_TOPOLOGY_ADDR_PATTERN"] = "node";
  env["SLURM_NODE_ALIASES"] = "(null)";
  if (t.array_task_id >= 0) {
    env["SLURM_ARRAY_JOB_ID"] = std::to_string(t.array_job_id);
    env["SLURM_ARRAY_TASK_ID"] = std::to_string(t.array_task_id);
    add_array_variables(s.array, env);
  }
  if (s.gpus > 0) {
    env["SLURM_GPUS"] = std::to_string(s.gpus);
    GpuBinding numbered;
    for (uint32_t g = 0; g < s.gpus; ++g) numbered.indices.push_back(g), numbered.uuids.emplace_back();
    add_gpu_environment(place.gpus ? *place.gpus : numbered, place.gpus_isolated, env);
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

JobAccount current_account() {
  struct passwd* pw = ::getpwuid(::geteuid());
  if (!pw) return {std::to_string(::geteuid()), "/bin/sh"};
  return {pw->pw_name, pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh"};
}

}  // namespace og
