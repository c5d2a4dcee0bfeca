#include "worker/resource_probe.hpp"

#include <sched.h>
#include <unistd.h>

namespace og {

Resources probe_resources() {
  Resources r;
  cpu_set_t set;
  CPU_ZERO(&set);
  r.cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<uint32_t>(CPU_COUNT(&set))
                                                        : static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN));
  r.memory_mb = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE)) / (1024 * 1024);
  return r;
}

void offer_gpus(Resources& r, const GpuInventory& found, std::optional<uint32_t> count) {
  r.gpu_devices = found.gpus;
  if (count && *count < r.gpu_devices.size()) r.gpu_devices.resize(*count);
  if (count && *count > found.gpus.size()) r.gpu_devices.clear();  // more than seen: a bare count
  r.gpus = count ? *count : static_cast<uint32_t>(found.gpus.size());
  r.gpu_type = r.gpu_devices.empty() ? "" : r.gpu_devices.front().model;
  r.driver_version = r.gpus ? found.driver_version : "";
  r.cuda_version = r.gpus ? found.cuda_version : "";
}

}  // namespace og
