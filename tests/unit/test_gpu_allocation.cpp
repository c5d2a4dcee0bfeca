// GPUs as og-schedd allocates them (by index, by model, memory, driver and price) and as a
// worker binds them to a job (device nodes, the cgroup's denials, driver files, variables).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/job_state.hpp"
#include "scheduler/gpu_offer.hpp"
#include "scheduler/placement.hpp"
#include "worker/gpu_binding.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

GpuDevice gpu(uint32_t index, const std::string& model, uint64_t memory_mb) {
  GpuDevice g;
  g.index = g.minor = index;
  g.uuid = "GPU-" + std::to_string(index);
  g.model = model;
  g.memory_mb = memory_mb;
  return g;
}

Partition provider(const std::string& name, std::vector<GpuDevice> gpus, const std::string& cuda = "12.4",
                   std::map<std::string, int64_t> prices = {}) {
  Partition p;
  p.name = name;
  p.owner = "owner-of-" + name;
  p.cpus = 16;
  p.memory_mb = 65536;
  p.gpus = static_cast<uint32_t>(gpus.size());
  p.gpu_type = gpus.empty() ? "" : gpus.front().model;
  p.gpu = std::make_shared<const GpuOffer>(GpuOffer{std::move(gpus), cuda, "550.54.15", std::move(prices)});
  p.price_micros = 10000;
  p.gpu_price_micros = 1'000'000;
  return p;
}

Job gpu_job(uint64_t id, uint32_t gpus, const std::string& type = "") {
  Job j;
  j.id = id;
  j.spec.script = "#!/bin/sh\ntrue\n";
  j.spec.gpus = gpus;
  j.spec.gpu_type = type;
  return j;
}

// Places and allocates as a scheduling pass does; the mask it got.
uint64_t start(Job& j, std::map<std::string, Partition>& ps) {
  auto r = place_replicas(j, ps, {}, 1);
  if (r.chosen.empty()) return 0;
  Allocation a = allocation_for(*r.chosen[0], j.spec, 0);
  r.chosen[0]->allocate(j.id, a);
  return a.gpu_mask;
}

TEST(GpuAllocationTest, TwoOneGpuJobsGetDifferentGpusAndAThirdWaits) {
  std::map<std::string, Partition> ps = {{"p", provider("p", {gpu(0, "h100", 81559), gpu(1, "h100", 81559)})}};
  Job a = gpu_job(1, 1), b = gpu_job(2, 1), c = gpu_job(3, 1);
  uint64_t ma = start(a, ps), mb = start(b, ps);
  EXPECT_EQ(ma, 0b01u);
  EXPECT_EQ(mb, 0b10u);
  EXPECT_EQ(ps["p"].used_gpu_mask, 0b11u);
  auto waiting = place_replicas(c, ps, {}, 1);
  EXPECT_TRUE(waiting.chosen.empty());
  EXPECT_EQ(waiting.reason, reason::kResources);
  ps["p"].release(1);  // the first ends: its GPU is free again, and goes to the next
  EXPECT_EQ(start(c, ps), 0b01u);
  // Never twice: allocating a held GPU is refused outright.
  Allocation twice;
  twice.gpus = 1;
  twice.gpu_mask = 0b10;
  EXPECT_THROW(ps["p"].allocate(9, twice), std::logic_error);
}

TEST(GpuAllocationTest, ModelMemoryAndDriverChooseTheGpus) {
  std::map<std::string, Partition> ps = {
      {"mixed", provider("mixed", {gpu(0, "a100", 40960), gpu(1, "h100", 81559), gpu(2, "a100", 81920)})}};
  Job h = gpu_job(1, 1, "H100");  // Slurm sites spell types either way
  EXPECT_EQ(start(h, ps), 0b010u);
  Job big = gpu_job(2, 1);
  big.spec.gpu_mem_mb = 80 * 1024;
  EXPECT_EQ(start(big, ps), 0b100u);  // the only free one with 80 GiB
  Job two_big = gpu_job(3, 2);
  two_big.spec.gpu_mem_mb = 80 * 1024;
  EXPECT_TRUE(partition_can_hold(ps["mixed"], two_big.spec));  // 2 such GPUs exist, busy now
  auto busy = place_replicas(two_big, ps, {}, 1);
  EXPECT_TRUE(busy.chosen.empty());
  EXPECT_EQ(busy.reason, reason::kResources);

  Job newer_cuda = gpu_job(4, 1);
  newer_cuda.spec.cuda = "12.10";  // 12.10 > 12.4: numerically
  EXPECT_FALSE(partition_can_hold(ps["mixed"], newer_cuda.spec));
  EXPECT_EQ(place_replicas(newer_cuda, ps, {}, 1).reason, "GpusUnavailable:gpu:1,cuda>=12.10");
  newer_cuda.spec.cuda = "12.4";
  EXPECT_TRUE(partition_can_hold(ps["mixed"], newer_cuda.spec));
}

TEST(GpuAllocationTest, AModelOrMemoryNoProviderHasWaitsNamingIt) {
  std::map<std::string, Partition> ps = {{"p", provider("p", {gpu(0, "a100", 40960)})}};
  Job h200 = gpu_job(1, 1, "h200");
  EXPECT_EQ(place_replicas(h200, ps, {}, 1).reason, "GpusUnavailable:gpu:h200:1");
  EXPECT_EQ(why_none_can_hold(h200.spec, ps), "");  // not refused: such a provider may join
  Job memory = gpu_job(2, 1);
  memory.spec.gpu_mem_mb = 81920;
  EXPECT_EQ(place_replicas(memory, ps, {}, 1).reason, "GpusUnavailable:gpu:1,gpu-mem>=81920M");
  // More GPUs than any provider has is refused at submission, as sbatch does.
  EXPECT_NE(why_none_can_hold(gpu_job(3, 2).spec, ps), "");
}

TEST(GpuAllocationTest, PricesPerModelRankOffersAndBill) {
  Partition p = provider("p", {gpu(0, "h100", 81559), gpu(1, "a100", 40960)}, "12.4",
                         {{"h100", 2'400'000}, {"a100", 1'600'000}});
  std::map<std::string, Partition> ps = {{"p", p}};
  Job any = gpu_job(1, 1);
  EXPECT_EQ(start(any, ps), 0b10u);  // the cheaper a100 first
  EXPECT_EQ(hourly_rate_micros(ps["p"], any.spec, 0b10u), 10000 + 1'600'000);
  Job h = gpu_job(2, 1, "h100");
  EXPECT_EQ(hourly_rate_micros(ps["p"], h.spec), 10000 + 2'400'000);
  h.spec.max_gpu_price_micros = 2'000'000;  // below the h100's price: no offer it takes
  std::map<std::string, Partition> fresh = {{"p", p}};
  EXPECT_EQ(place_replicas(h, fresh, {}, 1).reason, reason::kPriceTooLow);
}

TEST(GpuAllocationTest, ExclusiveTakesEveryGpu) {
  std::map<std::string, Partition> ps = {{"p", provider("p", {gpu(0, "l4", 23034), gpu(1, "l4", 23034)})}};
  Job x = gpu_job(1, 1);
  x.spec.exclusive = true;
  EXPECT_EQ(start(x, ps), 0b11u);
}

TEST(GpuAllocationTest, GresAsSinfoShowsIt) {
  EXPECT_EQ(gres_of(provider("p", {gpu(0, "h100", 1), gpu(1, "h100", 1)})), "gpu:h100:2");
  EXPECT_EQ(gres_of(provider("p", {gpu(0, "a100", 1), gpu(1, "h100", 1), gpu(2, "a100", 1)})), "gpu:a100:2,gpu:h100:1");
  EXPECT_EQ(gres_of(provider("p", {})), "(null)");
}

TEST(GpuAllocationTest, RegistrationRefusesBadOffers) {
  Partition p;
  nlohmann::json twice = {{"gpu_devices", {to_json(gpu(0, "h100", 1)), to_json(gpu(0, "h100", 1))}}};
  EXPECT_THROW(read_gpu_offer(twice, p), ApiError);
  nlohmann::json index = {{"gpu_devices", {to_json(gpu(64, "h100", 1))}}};
  EXPECT_THROW(read_gpu_offer(index, p), ApiError);
  nlohmann::json cuda = {{"cuda_version", "twelve"}};
  EXPECT_THROW(read_gpu_offer(cuda, p), ApiError);
  // Numbers that are not whole and small enough are refused, not cast (1e121 to a uint32
  // is undefined; -1 would wrap): found by fuzz.request_bodies.
  for (nlohmann::json bad : {nlohmann::json(1e121), nlohmann::json(2.5), nlohmann::json(-1), nlohmann::json(4294967296ull)}) {
    nlohmann::json device = to_json(gpu(1, "h100", 1));
    device["index"] = bad;
    EXPECT_THROW(read_gpu_offer({{"gpu_devices", {device}}}, p), ApiError) << bad;
    device = to_json(gpu(1, "h100", 1));
    device["minor"] = bad;
    EXPECT_THROW(read_gpu_offer({{"gpu_devices", {device}}}, p), ApiError) << bad;
  }
  nlohmann::json ok = {{"gpu_devices", {to_json(gpu(3, "h100", 1))}}, {"cuda_version", "12.4"}, {"gpu_prices", {{"H100", 5}}}};
  read_gpu_offer(ok, p);
  EXPECT_EQ(p.gpu->gpu_devices.at(0).index, 3u);
  EXPECT_EQ(p.gpu->gpu_prices.at("h100"), 5);
  Partition back;
  read_gpu_offer_text(gpu_offer_text(p), back);
  EXPECT_EQ(gpu_offer_json(back), gpu_offer_json(p));
}

// Device nodes as a provider has them, made with mknod (root only) in a test directory.
class GpuBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: making fake GPU device nodes needs root (mknod)";
    dir_ = fs::temp_directory_path() / ("og-gpu-binding-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (auto [name, minor] : {std::pair{"nvidia0", 0}, {"nvidia1", 1}, {"nvidiactl", 255}})
      ASSERT_EQ(::mknod((dir_ + "/" + name).c_str(), S_IFCHR | 0666, makedev(195, minor)), 0);
    host_.dev_dir = dir_;
    host_.devices = {gpu(0, "h100", 81559), gpu(1, "h100", 81559)};
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string dir_;
  GpuHost host_;
};

TEST_F(GpuBindingTest, AJobGetsItsGpusNodeAndTheControlNodeAndTheOthersAreDenied) {
  GpuBinding b = bind_gpus(host_, 1, {1}, false);
  EXPECT_EQ(b.device_nodes, (std::vector<std::string>{dir_ + "/nvidia1", dir_ + "/nvidiactl"}));
  EXPECT_EQ(b.denied, std::vector<std::string>{"c 195:0"});
  std::map<std::string, std::string> env;
  add_gpu_environment(b, /*isolated=*/true, env);
  EXPECT_EQ(env["SLURM_JOB_GPUS"], "1");  // the provider's index, as Slurm's gres plugin
  EXPECT_EQ(env["SLURM_STEP_GPUS"], "1");
  EXPECT_EQ(env["SLURM_GPUS_ON_NODE"], "1");
  EXPECT_EQ(env["CUDA_VISIBLE_DEVICES"], "0");  // the only GPU its /dev holds
  EXPECT_EQ(env["GPU_DEVICE_ORDINAL"], "0");
  EXPECT_EQ(env["NVIDIA_VISIBLE_DEVICES"], "GPU-1");
  EXPECT_EQ(env["CUDA_DEVICE_ORDER"], "PCI_BUS_ID");
  env.clear();
  add_gpu_environment(b, /*isolated=*/false, env);  // every GPU visible: name it by index
  EXPECT_EQ(env["CUDA_VISIBLE_DEVICES"], "1");
}

TEST_F(GpuBindingTest, AJobWithoutGpusIsDeniedEveryGpuAndOneWithoutIndicesIsRefused) {
  GpuBinding none = bind_gpus(host_, 0, {}, false);
  EXPECT_TRUE(none.device_nodes.empty());
  EXPECT_EQ(none.denied, (std::vector<std::string>{"c 195:0", "c 195:1"}));
  // GPUs told apart: a job of 2 GPUs with 1 index (or none) would otherwise see every GPU.
  EXPECT_THROW(bind_gpus(host_, 2, {1}, false), std::runtime_error);
  EXPECT_THROW(bind_gpus(host_, 1, {}, false), std::runtime_error);
  // A GPU here but not offered (og-worker --gpus 1) is denied to every job.
  host_.devices.resize(1);
  host_.unoffered_minors = {1};
  EXPECT_EQ(bind_gpus(host_, 1, {0}, false).denied, std::vector<std::string>{"c 195:1"});
}

TEST_F(GpuBindingTest, AGpuThisWorkerDoesNotHaveIsNeverBoundInstead) {
  EXPECT_THROW(bind_gpus(host_, 1, {5}, false), std::runtime_error);
  fs::remove(dir_ + "/nvidia1");
  EXPECT_THROW(bind_gpus(host_, 1, {1}, false), std::runtime_error);
}

TEST_F(GpuBindingTest, ImagesGetTheHostsDriverLibrariesUnderTheirNames) {
  fs::create_directories(dir_ + "/lib");
  std::ofstream(dir_ + "/lib/libcuda.so.550.54.15") << "driver";
  fs::create_symlink("libcuda.so.550.54.15", dir_ + "/lib/libcuda.so.1");
  std::ofstream(dir_ + "/lib/libssl.so.3") << "not the driver's";
  host_.driver_lib_dir = dir_ + "/lib";
  GpuBinding b = bind_gpus(host_, 1, {0}, true);
  ASSERT_EQ(b.driver_files.size(), 2u);
  EXPECT_EQ(b.driver_files[0], std::make_pair(dir_ + "/lib/libcuda.so.550.54.15", std::string("/usr/lib/x86_64-linux-gnu/libcuda.so.1")));
  EXPECT_EQ(b.driver_files[1].second, "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  EXPECT_TRUE(bind_gpus(host_, 1, {0}, false).driver_files.empty());  // the host's root has them already
}

TEST(GpuPricesTest, OnePriceOrOnePerModel) {
  GpuPrices p = parse_gpu_prices("1.20,H100=2.40,a100=1.60");
  EXPECT_EQ(p.every_micros, 1'200'000);
  EXPECT_EQ(p.by_model.at("h100"), 2'400'000);
  EXPECT_EQ(p.by_model.at("a100"), 1'600'000);
  EXPECT_EQ(parse_gpu_prices("1.80").every_micros, 1'800'000);
  EXPECT_THROW(parse_gpu_prices("h100=lots"), UsageError);
  EXPECT_THROW(parse_gpu_prices("=2"), UsageError);
}

}  // namespace
}  // namespace og
