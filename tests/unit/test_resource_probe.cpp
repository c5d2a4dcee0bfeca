// What a worker offers: parsing `nvidia-smi -L` and probing this host.
#include <gtest/gtest.h>

#include <string>

#include "worker/resource_probe.hpp"

namespace og {
namespace {

TEST(ResourceProbeTest, ParsesTwoH100s) {
  std::string out =
      "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-6f2a3c1e-1111-2222-3333-444455556666)\n"
      "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-0b9d8e7f-aaaa-bbbb-cccc-ddddeeeeffff)\n";
  Resources r = parse_nvidia_smi_list(out);
  EXPECT_EQ(r.gpus, 2u);
  EXPECT_EQ(r.gpu_type, "h100");
  EXPECT_EQ(r.cpus, 0u);
  EXPECT_EQ(r.memory_mb, 0u);
}

TEST(ResourceProbeTest, EmptyOutputMeansNoGpus) {
  Resources r = parse_nvidia_smi_list("");
  EXPECT_EQ(r.gpus, 0u);
  EXPECT_EQ(r.gpu_type, "");
}

TEST(ResourceProbeTest, IgnoresOtherLines) {
  // nvidia-smi prints a failure message, not GPU lines, when the driver is missing.
  Resources r = parse_nvidia_smi_list(
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n");
  EXPECT_EQ(r.gpus, 0u);
  Resources mig = parse_nvidia_smi_list(
      "GPU 0: NVIDIA A100 80GB PCIe (UUID: GPU-1)\n"
      "  MIG 3g.40gb Device 0: (UUID: MIG-2)\n");
  EXPECT_EQ(mig.gpus, 1u);
  EXPECT_EQ(mig.gpu_type, "a100");
}

TEST(ResourceProbeTest, SkipsVendorWordsAndLowercases) {
  EXPECT_EQ(parse_nvidia_smi_list("GPU 0: Tesla V100 (UUID: GPU-1)\n").gpu_type, "v100");
  EXPECT_EQ(parse_nvidia_smi_list("GPU 0: NVIDIA GeForce RTX (UUID: GPU-1)\n").gpu_type, "rtx");
  EXPECT_EQ(parse_nvidia_smi_list("GPU 0: NVIDIA L4 (UUID: GPU-1)").gpu_type, "l4");
}

TEST(ResourceProbeTest, TypeComesFromTheFirstGpu) {
  Resources r = parse_nvidia_smi_list(
      "GPU 0: NVIDIA L4 (UUID: GPU-1)\nGPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-2)\n");
  EXPECT_EQ(r.gpus, 2u);
  EXPECT_EQ(r.gpu_type, "l4");
}

TEST(ResourceProbeTest, ProbesThisHost) {
  Resources r = probe_resources();
  EXPECT_GE(r.cpus, 1u);
  EXPECT_GT(r.memory_mb, 0u);
  if (r.gpus == 0) EXPECT_EQ(r.gpu_type, "");
  else EXPECT_FALSE(r.gpu_type.empty());
}

}  // namespace
}  // namespace og
