// What a worker offers: parsing nvidia-smi's per-GPU query, GPU models, and probing this host.
#include <gtest/gtest.h>

#include <string>

#include "core/gpu_device.hpp"
#include "worker/resource_probe.hpp"

namespace og {
namespace {

const char* const kTwoGpus =
    "0, GPU-6f2a3c1e-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559, 9.0, 550.54.15, Disabled, 00000000:18:00.0\n"
    "1, GPU-0b9d8e7f-aaaa-bbbb-cccc-ddddeeeeffff, NVIDIA A100-SXM4-40GB, 40960, 8.0, 550.54.15, Enabled, 00000000:3B:00.0\n";

TEST(GpuProbeTest, ReadsEachGpuOfTheQuery) {
  GpuInventory inv = parse_gpu_query(kTwoGpus);
  ASSERT_EQ(inv.gpus.size(), 2u);
  EXPECT_EQ(inv.driver_version, "550.54.15");
  const GpuDevice& h = inv.gpus[0];
  EXPECT_EQ(h.index, 0u);
  EXPECT_EQ(h.minor, 0u);  // no /proc/driver/nvidia here: the index
  EXPECT_EQ(h.uuid, "GPU-6f2a3c1e-1111-2222-3333-444455556666");
  EXPECT_EQ(h.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(h.model, "h100");
  EXPECT_EQ(h.memory_mb, 81559u);
  EXPECT_EQ(h.compute_capability, "9.0");
  EXPECT_FALSE(h.mig);
  EXPECT_EQ(inv.gpus[1].model, "a100-sxm4-40gb");
  EXPECT_TRUE(inv.gpus[1].mig);
}

TEST(GpuProbeTest, OlderDriversWithoutComputeCapabilityAndBadLines) {
  GpuInventory inv = parse_gpu_query(
      "0, GPU-1, Tesla V100-SXM2-16GB, 16160, 470.82.01, [N/A], 00000000:00:04.0\n"
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"
      "x, GPU-2, NVIDIA L4, 23034, 470.82.01, [N/A], 00000000:00:05.0\n",
      /*with_compute_cap=*/false);
  ASSERT_EQ(inv.gpus.size(), 1u);
  EXPECT_EQ(inv.gpus[0].model, "v100-sxm2-16gb");
  EXPECT_EQ(inv.gpus[0].compute_capability, "");
  EXPECT_TRUE(parse_gpu_query("").gpus.empty());
}

TEST(GpuProbeTest, CudaVersionFromTheSummary) {
  EXPECT_EQ(parse_cuda_version("| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4     |"), "12.4");
  EXPECT_EQ(parse_cuda_version("no driver"), "");
}

TEST(GpuProbeTest, ModelsAsJobsNameThem) {
  EXPECT_EQ(gpu_model_of("Tesla V100"), "v100");
  EXPECT_EQ(gpu_model_of("NVIDIA GeForce RTX 4090"), "rtx4090");
  EXPECT_EQ(gpu_model_of("NVIDIA L4"), "l4");
  EXPECT_TRUE(same_gpu_model("A100", "a100"));
  EXPECT_FALSE(same_gpu_model("a100", "a10"));
}

TEST(GpuProbeTest, VersionsCompareNumerically) {
  EXPECT_GT(compare_versions("12.10", "12.4"), 0);
  EXPECT_LT(compare_versions("11.8", "12.0"), 0);
  EXPECT_EQ(compare_versions("12.4", "12.4"), 0);
  EXPECT_TRUE(is_version("12.4"));
  EXPECT_FALSE(is_version("12"));
  EXPECT_FALSE(is_version("12.4.1"));
  EXPECT_FALSE(is_version("v12.4"));
}

TEST(GpuProbeTest, OfferingFewerGpusOffersTheFirstOnes) {
  GpuInventory inv = parse_gpu_query(kTwoGpus);
  Resources r;
  offer_gpus(r, inv, 1);
  ASSERT_EQ(r.gpu_devices.size(), 1u);
  EXPECT_EQ(r.gpus, 1u);
  EXPECT_EQ(r.gpu_type, "h100");
  offer_gpus(r, inv, std::nullopt);
  EXPECT_EQ(r.gpus, 2u);
  offer_gpus(r, GpuInventory{}, 4);  // more than nvidia-smi sees: counted, not bound
  EXPECT_EQ(r.gpus, 4u);
  EXPECT_TRUE(r.gpu_devices.empty());
}

TEST(ResourceProbeTest, ProbesThisHost) {
  Resources r = probe_resources();
  EXPECT_GE(r.cpus, 1u);
  EXPECT_GT(r.memory_mb, 0u);
}

}  // namespace
}  // namespace og
