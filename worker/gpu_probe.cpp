#include "worker/gpu_probe.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

namespace og {
namespace {

std::string trim(std::string s) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), blank));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), blank).base(), s.end());
  return s;
}

bool whole_number(const std::string& s) {
  return !s.empty() && s.size() <= 12 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "Device Minor: 3" in /proc/driver/nvidia/gpus/0000:3b:00.0/information.
bool minor_from_proc(const std::string& bus_id, uint32_t& minor) {
  // nvidia-smi writes the domain with 8 digits, the driver's directory with 4.
  std::string id = bus_id.size() > 12 ? bus_id.substr(bus_id.size() - 12) : bus_id;
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::ifstream in("/proc/driver/nvidia/gpus/" + id + "/information");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Device Minor:", 0) != 0) continue;
    std::string value = trim(line.substr(13));
    if (!whole_number(value)) return false;
    minor = static_cast<uint32_t>(std::stoul(value));
    return true;
  }
  return false;
}

}  // namespace

GpuInventory parse_gpu_query(const std::string& csv, bool with_compute_cap) {
  GpuInventory inv;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> f;
    for (auto& field : split_list(line, ',')) f.push_back(trim(field));
    if (!with_compute_cap && f.size() == 7) f.insert(f.begin() + 4, "");
    if (f.size() != 8 || !whole_number(f[0]) || !whole_number(f[3])) continue;
    GpuDevice g;
    g.index = static_cast<uint32_t>(std::stoul(f[0]));
    if (g.index >= kMaxGpuDevices) continue;
    g.minor = g.index;
    g.uuid = f[1];
    g.name = f[2];
    g.model = gpu_model_of(g.name);
    g.memory_mb = std::stoull(f[3]);  // MiB with nounits
    if (is_version(f[4])) g.compute_capability = f[4];
    if (inv.driver_version.empty()) inv.driver_version = f[5];
    g.mig = f[6] == "Enabled";
    if (g.model.empty()) continue;
    // Where the driver is loaded its minor is the only safe name for the GPU's node; the
    // index stands in only without a driver's /proc (a test's fake GPUs).
    if (!minor_from_proc(f[7], g.minor) && ::access("/proc/driver/nvidia/gpus", F_OK) == 0) {
      log_warn("gpu_minor_unknown", {{"gpu", f[0]}, {"bus", f[7]}, {"effect", "not offered"}});
      continue;
    }
    inv.gpus.push_back(std::move(g));
  }
  std::sort(inv.gpus.begin(), inv.gpus.end(), [](const GpuDevice& a, const GpuDevice& b) { return a.index < b.index; });
  return inv;
}

std::string parse_cuda_version(const std::string& summary) {
  auto at = summary.find("CUDA Version:");
  if (at == std::string::npos) return "";
  std::istringstream in(summary.substr(at + 13));
  std::string version;
  in >> version;
  return is_version(version) ? version : "";
}

GpuInventory probe_gpus(const std::string& nvidia_smi) {
  const std::string format = "--format=csv,noheader,nounits";
  std::string csv = program_output({nvidia_smi, std::string("--query-gpu=") + kGpuQueryFields, format});
  bool with_compute_cap = !csv.empty();
  if (!with_compute_cap) {  // drivers before compute_cap was a field refuse the whole query
    std::string fields = kGpuQueryFields;
    fields.erase(fields.find("compute_cap,"), 12);
    csv = program_output({nvidia_smi, "--query-gpu=" + fields, format});
  }
  GpuInventory inv = parse_gpu_query(csv, with_compute_cap);
  if (!inv.gpus.empty()) inv.cuda_version = parse_cuda_version(program_output({nvidia_smi}));
  return inv;
}

}  // namespace og
