#include "worker/srun/step_environment.hpp"

#include <cctype>
#include <cstdio>

namespace og::srun {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// --export=ALL (the default), NONE, or a list of NAME=value and NAME, with ALL in it to
// keep the rest. Without ALL only SLURM_* (and OpenGrid's OG_*) stay, as Slurm 22.05 does.
Environment exported(const std::string& spec, const Environment& caller) {
  bool all = false;
  Environment chosen;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    if (item == "ALL") {
      all = true;
    } else if (item == "NONE" || item == "NIL") {
    } else {
      std::string name = item.substr(0, item.find('='));
      if (!valid_name(name))
        throw SrunError("srun: error: --export: \"" + item + "\" is not ALL, NONE, NAME or NAME=value", 1);
      if (item.find('=') != std::string::npos) chosen[name] = item.substr(item.find('=') + 1);
      else if (caller.count(name)) chosen[name] = caller.at(name);
    }
  }
  Environment env;
  for (const auto& [name, value] : caller)
    if (all || name.starts_with("SLURM_") || name.starts_with("OG_")) env[name] = value;
  for (const auto& [name, value] : chosen) env[name] = value;
  return env;
}

}  // namespace

Environment step_environment(const StepRequest& step, const Environment& caller, const Allocation& allocation,
                             uint32_t step_id, mode_t umask) {
  Environment env = exported(step.export_spec, caller);
  std::string tasks = std::to_string(step.ntasks), id = std::to_string(step_id);
  env["SLURM_STEP_ID"] = id;
  env["SLURM_STEPID"] = id;
  env["SLURM_STEP_NUM_TASKS"] = tasks;
  env["SLURM_STEP_NUM_NODES"] = std::to_string(step.nodes);
  env["SLURM_STEP_NODELIST"] = allocation.node;
  env["SLURM_STEP_TASKS_PER_NODE"] = tasks;
  env["SLURM_NTASKS"] = tasks;
  env["SLURM_NPROCS"] = tasks;
  env["SLURM_TASKS_PER_NODE"] = tasks;
  env["SLURM_CPUS_PER_TASK"] = std::to_string(step.cpus_per_task);
  // Slurm's default: block where tasks outnumber nodes, else cyclic.
  env["SLURM_DISTRIBUTION"] = step.ntasks > step.nodes ? "block" : "cyclic";
  if (step.label) env["SLURM_LABELIO"] = "1";
  // The step is launched from this node: srun's own address is loopback.
  env["SLURM_LAUNCH_NODE_IPADDR"] = "127.0.0.1";
  env["SLURM_SRUN_COMM_HOST"] = "127.0.0.1";
  char mask[8];
  std::snprintf(mask, sizeof mask, "%04o", static_cast<unsigned>(umask));
  env["SLURM_UMASK"] = mask;
  if (caller.count("SLURM_JOB_CPUS_PER_NODE"))
    env["SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_0"] = caller.at("SLURM_JOB_CPUS_PER_NODE");
  std::string gtids;
  for (uint32_t t = 0; t < step.ntasks; ++t) gtids += (t ? "," : "") + std::to_string(t);
  env["SLURM_GTIDS"] = gtids;
  return env;
}

void add_task_variables(Environment& env, uint32_t rank) {
  env["SLURM_PROCID"] = std::to_string(rank);
  env["SLURM_LOCALID"] = std::to_string(rank);
  env["SLURM_NODEID"] = "0";
}

std::vector<std::string> as_envp(const Environment& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

Environment from_assignments(const std::vector<std::string_view>& assignments, bool (*keep)(std::string_view name)) {
  Environment env;
  for (std::string_view kv : assignments) {
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || (keep && !keep(kv.substr(0, eq)))) continue;
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return env;
}

Environment from_environ(char** envp, bool (*keep)(std::string_view name)) {
  std::vector<std::string_view> assignments;
  for (char** e = envp; *e; ++e) assignments.emplace_back(*e);
  return from_assignments(assignments, keep);
}

std::vector<std::string> path_candidates(const Environment& env, const std::string& program) {
  if (program.find('/') != std::string::npos) return {program};
  std::vector<std::string> candidates;
  auto path = env.find("PATH");
  if (path == env.end()) return candidates;
  size_t start = 0;
  while (start <= path->second.size()) {
    size_t colon = path->second.find(':', start);
    std::string dir = path->second.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    start = colon == std::string::npos ? path->second.size() + 1 : colon + 1;
    candidates.push_back((dir.empty() ? "." : dir) + "/" + program);
  }
  return candidates;
}

}  // namespace og::srun
