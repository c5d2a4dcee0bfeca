#include "worker/resource_probe.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <memory>
#include <sstream>

namespace og {

Resources parse_nvidia_smi_list(const std::string& output) {
  Resources r;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("GPU ", 0) != 0) continue;
    ++r.gpus;
    if (r.gpus > 1) continue;
    // "GPU 0: NVIDIA H100 80GB HBM3 (UUID: ...)" → "h100": the first word after the vendor.
    auto colon = line.find(": ");
    std::istringstream words(colon == std::string::npos ? "" : line.substr(colon + 2));
    std::string word;
    while (words >> word) {
      std::string lower = word;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower == "nvidia" || lower == "tesla" || lower == "geforce") continue;
      r.gpu_type = lower;
      break;
    }
  }
  return r;
}

Resources probe_resources() {
  Resources r;
  cpu_set_t set;
  CPU_ZERO(&set);
  r.cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<uint32_t>(CPU_COUNT(&set))
                                                        : static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN));
  r.memory_mb = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE)) / (1024 * 1024);
  // nvidia-smi is the portable way to see GPUs without linking NVML.
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen("nvidia-smi -L 2>/dev/null", "r"), pclose);
  if (pipe) {
    std::string output;
    std::array<char, 512> buf;
    while (fgets(buf.data(), buf.size(), pipe.get())) output += buf.data();
    auto gpus = parse_nvidia_smi_list(output);
    r.gpus = gpus.gpus;
    r.gpu_type = gpus.gpu_type;
  }
  return r;
}

}  // namespace og
