#include "cli/partition_fields.hpp"

#include <algorithm>

namespace og::cli {
namespace {

bool up(const nlohmann::json& p) { return p.value("state", "") == "UP"; }

// sinfo's node states: idle, mix(ed), alloc(ated), drain(ed), down, unk(nown).
std::string node_state(const nlohmann::json& p, bool compact) {
  std::string state = p.value("state", "");
  int used = p.value("cpus_allocated", 0), all = p.value("cpus", 0);
  if (state == "UP") {
    if (used == 0) return "idle";
    if (used >= all) return compact ? "alloc" : "allocated";
    return compact ? "mix" : "mixed";
  }
  if (state == "DRAIN") return compact ? "drain" : "drained";
  if (state == "UNKNOWN") return compact ? "unk" : "unknown";  // not heard from since a restart
  return "down";
}

}  // namespace

std::string partition_field(const nlohmann::json& p, char c) {
  int nodes = p.value("nodes", 1), cpus = p.value("cpus", 0), used = p.value("cpus_allocated", 0);
  switch (c) {
    case 'P':
    case 'R': return p.value("name", "");
    case 'N': return p.value("name", "");  // the provider's machine (or cluster) is the node
    case 'a': return p.value("state", "") == "DOWN" ? "down" : "up";
    case 'l': return "infinite";  // a job's own time limit is what bounds it
    case 'D': return std::to_string(nodes);
    case 't': return node_state(p, true);
    case 'T': return node_state(p, false);
    case 'c': return std::to_string(cpus / std::max(nodes, 1));
    case 'C': {  // allocated/idle/other/total CPUs
      int idle = up(p) ? cpus - used : 0;
      return std::to_string(used) + "/" + std::to_string(idle) + "/" + std::to_string(cpus - used - idle) + "/" +
             std::to_string(cpus);
    }
    case 'F': {  // allocated/idle/other/total nodes
      bool busy = used > 0, idle = up(p) && !busy;
      return std::to_string(busy ? nodes : 0) + "/" + std::to_string(idle ? nodes : 0) + "/" +
             std::to_string(!busy && !idle ? nodes : 0) + "/" + std::to_string(nodes);
    }
    case 'm': return std::to_string(p.value("memory_mb", 0));
    case 'G': {
      if (p.contains("gres")) return p.value("gres", "(null)");  // gpu:a100:2,gpu:h100:1 from og-schedd
      int gpus = p.value("gpus", 0);
      if (gpus == 0) return "(null)";
      std::string type = p.value("gpu_type", "");
      return "gpu:" + (type.empty() ? "" : type + ":") + std::to_string(gpus);
    }
    case 'f': {
      std::string features;
      if (p.contains("features") && p["features"].is_array())
        for (const auto& f : p["features"]) features += (features.empty() ? "" : ",") + f.get<std::string>();
      return features.empty() ? "(null)" : features;
    }
    case 's': return "1-infinite";
    case 'r': return "no";
    case 'h': return "NO";
    case 'g': return "all";
    case 'o': return p.value("owner", "");
    case 'i': {  // OpenGrid: registries its worker pulls images from, and the digests it holds
      std::string registries;
      if (p.contains("registries") && p["registries"].is_array())
        for (const auto& r : p["registries"]) registries += (registries.empty() ? "" : ",") + r.get<std::string>();
      if (registries.empty()) return "(null)";
      return registries + "(" + std::to_string(p.value("cached", 0)) + " cached)";
    }
    default: return std::string("%") + c;
  }
}

std::string partition_header(char c) {
  switch (c) {
    case 'P': return "PARTITION";
    case 'R': return "PARTITION";
    case 'N': return "NODELIST";
    case 'a': return "AVAIL";
    case 'l': return "TIMELIMIT";
    case 'D': return "NODES";
    case 't':
    case 'T': return "STATE";
    case 'c': return "CPUS";
    case 'C': return "CPUS(A/I/O/T)";
    case 'F': return "NODES(A/I/O/T)";
    case 'm': return "MEMORY";
    case 'G': return "GRES";
    case 'f': return "AVAIL_FEATURES";
    case 's': return "JOB_SIZE";
    case 'r': return "ROOT";
    case 'h': return "OVERSUBS";
    case 'g': return "GROUPS";
    case 'o': return "OWNER";
    case 'i': return "IMAGES";
    default: return std::string("%") + c;
  }
}

}  // namespace og::cli
