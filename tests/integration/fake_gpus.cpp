#include "tests/integration/fake_gpus.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace og::test {
namespace {

namespace fs = std::filesystem;

// What nvidia-smi prints for the fields og-worker asks (worker/gpu_probe.hpp), and its summary.
const char* const kFakeNvidiaSmi = R"(#!/bin/sh
case "$1" in
  --query-gpu=*)
    echo "0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3, 81559, 9.0, 550.54.15, Disabled, 00000000:18:00.0"
    echo "1, GPU-66666666-7777-8888-9999-000000000000, NVIDIA H100 80GB HBM3, 81559, 9.0, 550.54.15, Disabled, 00000000:2A:00.0" ;;
  "") echo "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4 |" ;;
  *) exit 6 ;;
esac
)";

}  // namespace

FakeGpus make_fake_gpus(const std::string& dir) {
  FakeGpus f{dir + "/nvidia-smi", dir + "/dev", dir + "/lib"};
  fs::create_directories(f.dev_dir);
  fs::create_directories(f.lib_dir);
  for (auto [name, minor] : {std::pair{"nvidia0", 0u}, {"nvidia1", 1u}, {"nvidiactl", 255u}}) {
    std::string node = f.dev_dir + "/" + name;
    if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(kNvidiaMajor, minor)) != 0)
      throw std::runtime_error("mknod " + node + ": " + std::strerror(errno));
  }
  std::ofstream(f.nvidia_smi) << kFakeNvidiaSmi;
  fs::permissions(f.nvidia_smi, fs::perms(0755));
  std::ofstream(f.lib_dir + "/libcuda.so.550.54.15") << "the host's driver 550.54.15\n";
  fs::create_symlink("libcuda.so.550.54.15", f.lib_dir + "/libcuda.so.1");
  return f;
}

}  // namespace og::test
