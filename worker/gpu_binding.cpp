#include "worker/gpu_binding.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "core/error.hpp"
#include "core/money.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

// Nodes CUDA needs besides the GPUs' own: the driver's control device and unified memory.
const char* const kControlNodes[] = {"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"};

// The driver's user-space libraries a CUDA program loads (nvidia-container-toolkit's
// "compute" and "utility" sets): they must be the host's, matching its kernel module.
const char* const kDriverLibraries[] = {"libcuda.so",           "libnvidia-ml.so",       "libnvidia-ptxjitcompiler.so",
                                        "libnvidia-nvvm.so",    "libnvidia-gpucomp.so",  "libnvidia-allocator.so",
                                        "libcudadebugger.so",   "libnvidia-cfg.so",      "libnvidia-opencl.so"};

bool char_device(const std::string& path, dev_t* rdev = nullptr) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return false;
  if (rdev) *rdev = st.st_rdev;
  return true;
}

std::string joined(const std::vector<uint32_t>& numbers) {
  std::string out;
  for (uint32_t n : numbers) out += (out.empty() ? "" : ",") + std::to_string(n);
  return out;
}

}  // namespace

GpuBinding bind_gpus(const GpuHost& host, uint32_t gpus, const std::vector<uint32_t>& indices, bool with_image) {
  GpuBinding b;
  // Every GPU of this host the job was not given, whether it asked for GPUs or not.
  auto deny = [&](uint32_t minor_number) {
    dev_t rdev = 0;
    if (char_device(host.dev_dir + "/nvidia" + std::to_string(minor_number), &rdev))
      b.denied.push_back("c " + std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev)));
  };
  for (const auto& g : host.devices)
    if (std::find(indices.begin(), indices.end(), g.index) == indices.end()) deny(g.minor);
  for (uint32_t m : host.unoffered_minors) deny(m);
  if (gpus == 0) return b;
  // Told apart, a GPU job comes with its GPUs' indices: without them (a replica allocated
  // before, or by an og-schedd that counts only) it would get every GPU here.
  if (!host.devices.empty() && indices.size() < gpus)
    throw std::runtime_error("og-schedd sent " + std::to_string(indices.size()) + " GPU indices for a job of " +
                             std::to_string(gpus) + " GPUs");
  if (indices.empty()) {
    // A bare count: the GPUs are not told apart, so every node nvidia-smi would show.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(host.dev_dir, ec)) {
      std::string name = entry.path().filename();
      if (name.rfind("nvidia", 0) == 0 && char_device(entry.path())) b.device_nodes.push_back(entry.path());
    }
    std::sort(b.device_nodes.begin(), b.device_nodes.end());
    for (uint32_t i = 0; i < gpus; ++i) b.indices.push_back(i), b.uuids.emplace_back();
  } else {
    for (uint32_t index : indices) {
      auto g = std::find_if(host.devices.begin(), host.devices.end(), [&](const GpuDevice& d) { return d.index == index; });
      if (g == host.devices.end())
        throw std::runtime_error("og-schedd allocated GPU " + std::to_string(index) + ", which this worker does not offer");
      std::string node = host.dev_dir + "/nvidia" + std::to_string(g->minor);
      if (!char_device(node)) throw std::runtime_error("GPU " + std::to_string(index) + "'s device node " + node + " is missing");
      b.device_nodes.push_back(node);
      b.indices.push_back(index);
      b.uuids.push_back(g->uuid);
    }
    for (const char* name : kControlNodes)
      if (std::string node = host.dev_dir + "/" + name; char_device(node)) b.device_nodes.push_back(node);
  }
  if (with_image && !host.driver_lib_dir.empty()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(host.driver_lib_dir, ec)) {
      std::string name = entry.path().filename();
      bool wanted = std::any_of(std::begin(kDriverLibraries), std::end(kDriverLibraries),
                                [&](const char* lib) { return name.rfind(std::string(lib) + ".", 0) == 0; });
      // Each name as a file of its own (a link's target bound at the link's name): the
      // image's loader finds libcuda.so.1 whatever links the image has.
      std::error_code real_ec;
      fs::path real = fs::canonical(entry.path(), real_ec);
      if (wanted && !real_ec && fs::is_regular_file(real))
        b.driver_files.emplace_back(real.string(), "/usr/lib/x86_64-linux-gnu/" + name);
    }
    std::sort(b.driver_files.begin(), b.driver_files.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
  }
  if (with_image && !host.nvidia_smi.empty()) b.driver_files.emplace_back(host.nvidia_smi, "/usr/bin/nvidia-smi");
  return b;
}

void add_gpu_environment(const GpuBinding& gpus, bool isolated, std::map<std::string, std::string>& env) {
  if (gpus.indices.empty()) return;
  std::vector<uint32_t> local;
  for (uint32_t i = 0; i < gpus.indices.size(); ++i) local.push_back(i);
  const std::string provider = joined(gpus.indices), visible = isolated ? joined(local) : provider;
  env["SLURM_JOB_GPUS"] = provider;
  env["SLURM_GPUS_ON_NODE"] = std::to_string(gpus.indices.size());
  env["SLURM_STEP_GPUS"] = provider;
  env["CUDA_VISIBLE_DEVICES"] = visible;
  env["GPU_DEVICE_ORDINAL"] = visible;
  // CUDA numbers GPUs fastest first unless told otherwise; nvidia-smi and Slurm by bus.
  env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
  bool uuids = std::none_of(gpus.uuids.begin(), gpus.uuids.end(), [](const std::string& u) { return u.empty(); });
  env["NVIDIA_VISIBLE_DEVICES"] = uuids ? join(gpus.uuids, ",") : provider;
}

std::string find_driver_lib_dir() {
  std::istringstream lines(program_output({"ldconfig", "-p"}));
  for (std::string line; std::getline(lines, line);) {
    auto arrow = line.find(" => ");
    if (line.find("libcuda.so.1 ") == std::string::npos || line.find("x86-64") == std::string::npos ||
        arrow == std::string::npos)
      continue;
    return fs::path(line.substr(arrow + 4)).parent_path().string();
  }
  return "";
}

GpuPrices parse_gpu_prices(const std::string& text) {
  GpuPrices prices;
  for (const auto& part : split_list(text, ',')) {
    auto eq = part.find('=');
    try {
      if (eq == std::string::npos) {
        prices.every_micros = parse_money_micros(part);
        continue;
      }
      std::string model = part.substr(0, eq);
      std::transform(model.begin(), model.end(), model.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (model.empty() || model.find_first_of(" :") != std::string::npos) throw std::runtime_error("no model named");
      prices.by_model[model] = parse_money_micros(part.substr(eq + 1));
    } catch (const std::exception& e) {
      throw UsageError("--gpu-price: \"" + part + "\": " + e.what() +
                       " (give a price per GPU-hour, e.g. 1.80, or MODEL=PRICE pairs: h100=2.40,a100=1.60)");
    }
  }
  return prices;
}

}  // namespace og
