// og-bench-launch: what the jail adds to starting a job. Runs `true` N times as a bare
// fork/exec (spawn + wait) and N times through the jail the way og-worker does it (cgroups
// created and limited, og-jail with its namespaces, minimal root and uid change, then the
// cgroups removed), and prints the medians and 99th percentiles of each. Needs root.
// With IMAGE_DIR (an unpacked image, as og-worker's cache holds it), a third series runs
// the same `true` jailed in that image (overlay root) instead of on the host's /usr.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/process.hpp"
#include "core/time_util.hpp"
#include "worker/jail_sandbox.hpp"

namespace {

namespace fs = std::filesystem;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

int run_and_wait(og::SpawnOptions& spawn) {
  pid_t pid = og::spawn_process(spawn);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return og::exit_code_from_wait_status(status);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::stoi(argv[1]) : 200;
  std::string network = argc > 2 ? argv[2] : "loopback";
  std::string image = argc > 3 ? argv[3] : "";
  if (::geteuid() != 0) {
    std::printf("og-bench-launch: SKIPPED: the jail needs root\n");
    return 0;
  }
  fs::path base = fs::temp_directory_path() / ("og-bench-launch-" + std::to_string(::getpid()));
  fs::create_directories(base);
  og::SandboxOptions options;
  options.level = "jail";
  options.uid_first = 3900000;  // away from the workers' default range
  options.uid_count = 64;
  og::JailSandbox jail(options);

  std::vector<double> bare, jailed, imaged, teardown;
  const int series = image.empty() ? 2 : 3;
  for (int round = 0; round < series * n; ++round) {
    bool in_jail = round % series >= 1;  // interleaved, so drift hits every series alike
    bool in_image = round % series == 2;
    std::string dir = (base / std::to_string(round)).string();
    fs::create_directories(dir + "/.og");  // as og-worker makes it
    og::SpawnOptions spawn;
    spawn.argv = {"/bin/true"};
    spawn.env = std::vector<std::string>{"PATH=/usr/bin:/bin"};
    spawn.cwd = dir;
    spawn.die_with_parent = true;
    int64_t start = og::monotonic_us();
    int code = 0;
    if (in_jail) {
      og::SandboxRequest request;
      request.lease_id = static_cast<uint64_t>(round);
      request.job_dir = dir;
      request.memory_mb = 1024;
      request.network = network;
      if (in_image) request.image_root = image;
      auto contained = jail.contain(request, spawn);
      code = run_and_wait(spawn);
      int64_t t = og::monotonic_us();
      contained.reset();
      teardown.push_back(static_cast<double>(og::monotonic_us() - t) / 1000.0);  // cgroups removed, uid released: part of every job's cost
    } else {
      code = run_and_wait(spawn);
    }
    double ms = static_cast<double>(og::monotonic_us() - start) / 1000.0;
    if (code != 0) {
      std::fprintf(stderr, "og-bench-launch: run %d exited %d\n", round, code);
      return 1;
    }
    (in_image ? imaged : in_jail ? jailed : bare).push_back(ms);
    fs::remove_all(dir);
  }
  fs::remove_all(base);
  double bare_median = percentile(bare, 0.5), jail_median = percentile(jailed, 0.5);
  std::printf("launch runs=%d network=%s bare_median_ms=%.2f bare_p99_ms=%.2f jail_median_ms=%.2f "
              "jail_p99_ms=%.2f added_median_ms=%.2f\n",
              n, network.c_str(), bare_median, percentile(bare, 0.99), jail_median, percentile(jailed, 0.99),
              jail_median - bare_median);
  std::printf("cgroup_teardown_median_ms=%.2f\n", percentile(teardown, 0.5));
  if (!imaged.empty())
    std::printf("image_median_ms=%.2f image_p99_ms=%.2f image_added_vs_host_root_median_ms=%.2f\n",
                percentile(imaged, 0.5), percentile(imaged, 0.99), percentile(imaged, 0.5) - jail_median);
  return 0;
}
