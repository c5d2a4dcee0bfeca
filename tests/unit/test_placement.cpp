// Placement: which partitions get a job's replicas, and the reason when none can.
#include <gtest/gtest.h>

#include <algorithm>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/job_state.hpp"
#include "scheduler/placement.hpp"

namespace og {
namespace {

Partition part(const std::string& name, int64_t price, uint32_t cpus = 8,
               uint64_t memory_mb = 16384, uint32_t gpus = 0, const std::string& gpu_type = "") {
  Partition p;
  p.name = name;
  p.owner = "owner-of-" + name;  // each partition its own provider
  p.cpus = cpus;
  p.memory_mb = memory_mb;
  p.gpus = gpus;
  p.gpu_type = gpu_type;
  p.price_micros = price;
  return p;
}

Job job(uint32_t cpus = 1, uint64_t mem_mb = 0, uint32_t gpus = 0) {
  Job j;
  j.id = 1;
  j.spec.script = "#!/bin/sh\ntrue\n";
  j.spec.ntasks = 1;
  j.spec.cpus_per_task = cpus;
  j.spec.mem_mb = mem_mb;
  j.spec.gpus = gpus;
  return j;
}

std::map<std::string, Partition> parts(std::initializer_list<Partition> list) {
  std::map<std::string, Partition> out;
  for (const auto& p : list) out[p.name] = p;
  return out;
}

std::vector<std::string> names(const PlacementResult& r) {
  std::vector<std::string> out;
  for (auto* p : r.chosen) out.push_back(p->name);
  return out;
}

TEST(PlacementTest, CheapestPartitionFirst) {
  auto ps = parts({part("a", 300), part("b", 100), part("c", 200)});
  auto r = place_replicas(job(), ps, {}, 1);
  EXPECT_EQ(names(r), std::vector<std::string>{"b"});
  EXPECT_TRUE(r.reason.empty());
  // The chosen pointer is into the caller's map, so the controller can allocate on it.
  ASSERT_EQ(r.chosen.size(), 1u);
  EXPECT_EQ(r.chosen[0], &ps["b"]);
  auto r3 = place_replicas(job(), ps, {}, 3);
  EXPECT_EQ(names(r3), (std::vector<std::string>{"b", "c", "a"}));
}

TEST(PlacementTest, TiesBrokenByLoadThenName) {
  auto ps = parts({part("a", 100, 8), part("b", 100, 8), part("c", 100, 16)});
  ps["a"].used_cpus = 4;  // 50% loaded
  ps["b"].used_cpus = 2;  // 25%
  ps["c"].used_cpus = 4;  // 25%
  auto r = place_replicas(job(), ps, {}, 3);
  EXPECT_EQ(names(r), (std::vector<std::string>{"b", "c", "a"}));
  // Equal price and load: by name.
  auto idle = parts({part("zeta", 100), part("alpha", 100), part("mid", 100)});
  EXPECT_EQ(names(place_replicas(job(), idle, {}, 1)), std::vector<std::string>{"alpha"});
}

TEST(PlacementTest, PriceBeatsLoad) {
  auto ps = parts({part("busy-cheap", 100, 8), part("idle-dear", 200, 8)});
  ps["busy-cheap"].used_cpus = 7;
  EXPECT_EQ(names(place_replicas(job(), ps, {}, 1)), std::vector<std::string>{"busy-cheap"});
}

TEST(PlacementTest, ExcludeSetIsHonoured) {
  auto ps = parts({part("a", 100), part("b", 200), part("c", 300)});
  auto r = place_replicas(job(), ps, {"a"}, 1);
  EXPECT_EQ(names(r), std::vector<std::string>{"b"});
  auto r2 = place_replicas(job(), ps, {"a", "c"}, 1);
  EXPECT_EQ(names(r2), std::vector<std::string>{"b"});
  auto r3 = place_replicas(job(), ps, {"a", "b", "c"}, 1);
  EXPECT_TRUE(r3.chosen.empty());
  EXPECT_EQ(r3.reason, "Replicas");
}

TEST(PlacementTest, DistinctProvidersForReplicas) {
  auto ps = parts({part("a", 100), part("b", 100), part("c", 100)});
  auto r = place_replicas(job(), ps, {}, 3);
  auto chosen = names(r);
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(std::set<std::string>(chosen.begin(), chosen.end()).size(), 3u);
}

TEST(PlacementTest, NotEnoughCpusMemoryOrGpus) {
  auto ps = parts({part("a", 100, 4, 1024, 1, "h100")});
  auto cpu = place_replicas(job(8), ps, {}, 1);
  EXPECT_TRUE(cpu.chosen.empty());
  EXPECT_EQ(cpu.reason, "Resources");
  auto mem = place_replicas(job(1, 4096), ps, {}, 1);
  EXPECT_TRUE(mem.chosen.empty());
  EXPECT_EQ(mem.reason, "Resources");
  auto gpu = place_replicas(job(1, 0, 2), ps, {}, 1);
  EXPECT_TRUE(gpu.chosen.empty());
  EXPECT_EQ(gpu.reason, "Resources");
}

TEST(PlacementTest, AJobOfSeveralNodesRunsOnlyWhereThatManyNodesAre) {
  std::map<std::string, Partition> parts{{"machine", part("machine", 1, 64)}};  // one node, many CPUs
  Job two_nodes = job();
  two_nodes.spec.nodes = 2;
  two_nodes.spec.ntasks = 2;
  auto r = place_replicas(two_nodes, parts, {}, 1);
  EXPECT_TRUE(r.chosen.empty()) << "never shrunk onto one machine";
  EXPECT_EQ(r.reason, "PartitionNodeLimit");
  EXPECT_FALSE(r.busy) << "no partition could ever hold it";
  Partition cluster = part("cluster", 2, 8);
  cluster.nodes = 4;  // a Slurm cluster behind its worker
  parts.emplace("cluster", cluster);
  r = place_replicas(two_nodes, parts, {}, 1);
  ASSERT_EQ(r.chosen.size(), 1u);
  EXPECT_EQ(r.chosen[0]->name, "cluster");
  two_nodes.spec.nodes = 5;
  EXPECT_EQ(place_replicas(two_nodes, parts, {}, 1).reason, "PartitionNodeLimit");
}

TEST(PlacementTest, MemPerCpuCountsTowardsMemory) {
  auto ps = parts({part("a", 100, 8, 4096)});
  Job j = job(4);
  j.spec.mem_per_cpu_mb = 2048;  // 8 GiB in all
  EXPECT_TRUE(place_replicas(j, ps, {}, 1).chosen.empty());
  j.spec.mem_per_cpu_mb = 1024;
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"a"});
}

TEST(PlacementTest, BusyPartitionGivesResources) {
  auto ps = parts({part("a", 100, 4)});
  ps["a"].used_cpus = 3;
  auto r = place_replicas(job(2), ps, {}, 1);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "Resources");
  ps["a"].used_cpus = 2;
  EXPECT_EQ(names(place_replicas(job(2), ps, {}, 1)), std::vector<std::string>{"a"});
  ps["a"].used_gpus = 0;
  ps["a"].used_memory_mb = ps["a"].memory_mb;
  Job needs_mem = job(1, 1);
  EXPECT_TRUE(place_replicas(needs_mem, ps, {}, 1).chosen.empty());
}

TEST(PlacementTest, GpuTypeMismatchCannotHoldAndWaitsNamingIt) {
  Partition p = part("a", 100, 8, 16384, 4, "a100");
  Job j = job(1, 0, 1);
  j.spec.gpu_type = "h100";
  EXPECT_FALSE(partition_can_hold(p, j.spec));
  j.spec.gpu_type = "a100";
  EXPECT_TRUE(partition_can_hold(p, j.spec));
  j.spec.gpu_type = "";  // any type
  EXPECT_TRUE(partition_can_hold(p, j.spec));
  j.spec.gpu_type = "h100";
  auto ps = parts({p});
  auto r = place_replicas(j, ps, {}, 1);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "GpusUnavailable:gpu:h100:1");  // a provider with h100s may still come
  // A GPU type only matters when GPUs are asked for.
  Job cpu_only = job();
  cpu_only.spec.gpu_type = "h100";
  EXPECT_TRUE(partition_can_hold(p, cpu_only.spec));
}

TEST(PlacementTest, CanHoldIgnoresCurrentAllocation) {
  Partition p = part("a", 100, 4);
  p.used_cpus = 4;
  p.state = PartitionState::Down;
  EXPECT_TRUE(partition_can_hold(p, job(4).spec));
  EXPECT_FALSE(partition_can_hold(p, job(5).spec));
}

TEST(PlacementTest, MaxPriceBelowEveryAsk) {
  auto ps = parts({part("a", 500), part("b", 300)});
  Job j = job();
  j.spec.max_price_micros = 200;
  auto r = place_replicas(j, ps, {}, 1);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "PriceTooLow");
  j.spec.max_price_micros = 300;  // the cap is inclusive
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"b"});
  j.spec.max_price_micros = 0;  // no cap
  EXPECT_EQ(names(place_replicas(j, ps, {}, 2)), (std::vector<std::string>{"b", "a"}));
}

TEST(PlacementTest, AllFittingPartitionsDownOrDrain) {
  auto ps = parts({part("a", 100), part("b", 200)});
  ps["a"].state = PartitionState::Down;
  ps["b"].state = PartitionState::Drain;
  auto r = place_replicas(job(), ps, {}, 1);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "PartitionDown");
  ps["b"].state = PartitionState::Up;
  EXPECT_EQ(names(place_replicas(job(), ps, {}, 1)), std::vector<std::string>{"b"});
}

TEST(PlacementTest, RequestedPartitionHonoured) {
  auto ps = parts({part("cheap", 100), part("gpu", 900)});
  Job j = job();
  j.spec.partition = "gpu";
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"gpu"});
}

TEST(PlacementTest, UnknownRequestedPartition) {
  auto ps = parts({part("a", 100), part("b", 200)});
  Job j = job();
  j.spec.partition = "nonexistent";
  auto r = place_replicas(j, ps, {}, 1);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "PartitionConfig");
}

TEST(PlacementTest, TooFewProvidersIsAllOrNothing) {
  auto ps = parts({part("a", 100), part("b", 200)});
  auto r = place_replicas(job(), ps, {}, 3);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "Replicas");
  // Nothing was allocated on the partitions as a side effect.
  EXPECT_EQ(ps["a"].used_cpus, 0u);
  EXPECT_EQ(ps["b"].used_cpus, 0u);
}

TEST(PlacementTest, TooFewWithRoomIsAllOrNothing) {
  auto ps = parts({part("a", 100, 4), part("b", 200, 4), part("c", 300, 4)});
  ps["c"].used_cpus = 4;  // could hold it, but is full now
  auto r = place_replicas(job(), ps, {}, 3);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "Resources");
}

TEST(PlacementTest, EmptyClusterHasNoRoom) {
  std::map<std::string, Partition> none;
  auto r = place_replicas(job(), none, {}, 1);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_FALSE(r.reason.empty());
}


TEST(Placement, ConstraintsMatchPartitionFeatures) {
  Partition cheap = part("cheap", 1), fast = part("fast", 5);
  fast.features = {"avx512", "nvme"};
  auto ps = parts({cheap, fast});
  Job j = job();
  j.spec.constraint = "avx512&nvme";
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"fast"});
  j.spec.constraint = "gpu|nvme";
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"fast"});
  j.spec.constraint = "[gpu|nvme]";  // Slurm's brackets: one of them for all the job's nodes
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"fast"});
  j.spec.constraint = "[avx512]";
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"fast"});
  j.spec.constraint = "gpu";
  auto none = place_replicas(j, ps, {}, 1);
  EXPECT_TRUE(none.chosen.empty());
  EXPECT_EQ(none.reason, "Resources");
}

TEST(Placement, ExclusiveJobsNeedAnIdlePartitionAndTakeAllOfIt) {
  auto ps = parts({part("a", 1, 8), part("b", 2, 8)});
  ps["a"].used_cpus = 1;  // something small already runs on the cheaper one
  Job j = job(2);
  j.spec.exclusive = true;
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"b"});
  EXPECT_EQ(cpus_taken(ps["b"], j.spec), 8u);
  EXPECT_EQ(cpus_taken(ps["b"], job(2).spec), 2u);
}


TEST(Placement, ReplicasGoToDistinctOperators) {
  auto ps = parts({part("a1", 100), part("a2", 110), part("b1", 300), part("solo", 200)});
  ps["a1"].operator_name = "acme";
  ps["a2"].operator_name = "acme";
  ps["b1"].operator_name = "bolt";
  // acme's second machine is cheaper than bolt's, but one operator gets one replica.
  EXPECT_EQ(names(place_replicas(job(), ps, {}, 3)), (std::vector<std::string>{"a1", "solo", "b1"}));
  // A replica already on a1 rules out every acme machine for the next one.
  PlacementRequest more;
  more.count = 1;
  more.exclude = {"a1"};
  for (const auto& id : identities_of(ps["a1"])) more.exclude_operators.insert(id);
  EXPECT_EQ(names(place_replicas(job(), ps, more)), std::vector<std::string>{"solo"});
  // Four replicas need four operators: there are three.
  auto r = place_replicas(job(), ps, {}, 4);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, "Replicas");
}

TEST(Placement, AWeightedDrawGivesUnderpricingNoMajority) {
  // Two cheap Sybils among eight honest offers: cheapest first, they would hold two of
  // every three replicas. Drawn by weight, they hold two as rarely as chance allows.
  auto ps = parts({part("sybil-1", 1), part("sybil-2", 1)});
  for (int i = 0; i < 8; ++i) ps["honest-" + std::to_string(i)] = part("honest-" + std::to_string(i), 100);
  auto cheapest = names(place_replicas(job(), ps, {}, 3));
  EXPECT_EQ(std::count_if(cheapest.begin(), cheapest.end(), [](const std::string& n) { return n[0] == 's'; }), 2);
  std::mt19937_64 rng(7);
  PlacementRequest weighted;
  weighted.count = 3;
  weighted.draw = [&] { return std::uniform_real_distribution<double>(0, 1)(rng); };
  int captured = 0, honest_0 = 0, runs = 20000;
  for (int i = 0; i < runs; ++i) {
    auto chosen = names(place_replicas(job(), ps, weighted));
    ASSERT_EQ(chosen.size(), 3u);
    ASSERT_EQ(std::set<std::string>(chosen.begin(), chosen.end()).size(), 3u);
    captured += std::count_if(chosen.begin(), chosen.end(), [](const std::string& n) { return n[0] == 's'; }) >= 2;
    honest_0 += std::count(chosen.begin(), chosen.end(), "honest-0");
  }
  // Equal weights: P(both Sybils among 3 of 10) = C(8,1) / C(10,3) = 8/120.
  EXPECT_NEAR(static_cast<double>(captured) / runs, 8.0 / 120, 0.01);
  EXPECT_NEAR(static_cast<double>(honest_0) / runs, 0.3, 0.02) << "every offer drawn as often";
  // A better reputation is drawn more often; the offers above the job's price never.
  ps["honest-0"].reputation = 1.0;
  ps["honest-1"].price_micros = 1'000'000;
  Job capped = job();
  capped.spec.max_price_micros = 1000;
  int reputed = 0, dear = 0;
  for (int i = 0; i < runs; ++i) {
    auto chosen = names(place_replicas(capped, ps, weighted));
    reputed += std::count(chosen.begin(), chosen.end(), "honest-0");
    dear += std::count(chosen.begin(), chosen.end(), "honest-1");
  }
  EXPECT_GT(static_cast<double>(reputed) / runs, 0.4);
  EXPECT_EQ(dear, 0);
}

TEST(Placement, OneCredentialNeverHoldsTwoReplicasWhateverOperatorsItDeclares) {
  // The capture: one worker credential registered two cheap partitions, declaring two
  // operators, to take two of three replicas.
  auto ps = parts({part("evil-1", 10), part("evil-2", 10), part("honest", 100), part("other", 200)});
  ps["evil-1"].owner = ps["evil-2"].owner = "mallory";
  ps["evil-1"].operator_name = "op-a";
  ps["evil-2"].operator_name = "op-b";
  ps["honest"].owner = "hannah";
  ps["other"].owner = "olga";
  auto chosen = names(place_replicas(job(), ps, {}, 3));
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(std::count_if(chosen.begin(), chosen.end(), [](const std::string& n) { return n.rfind("evil", 0) == 0; }), 1);
  // Declared operators still split: two credentials declaring one operator share nothing.
  ps["other"].operator_name = "op-a";
  EXPECT_TRUE(place_replicas(job(), ps, {}, 3).chosen.empty());
  EXPECT_EQ(place_replicas(job(), ps, {}, 3).reason, "Replicas");
}

TEST(Placement, GpuJobsRankOffersByWhatTheyCostThisJob) {
  // Cheap CPUs with dear GPUs, and the other way round.
  auto ps = parts({part("cheap-cpu", 100, 8, 16384, 1), part("cheap-gpu", 500, 8, 16384, 1)});
  ps["cheap-cpu"].gpu_price_micros = 5000;
  ps["cheap-gpu"].gpu_price_micros = 1000;
  Job gpu_job = job(2, 0, 1);  // 2 CPUs + 1 GPU: 200 + 5000 vs 1000 + 1000
  EXPECT_EQ(names(place_replicas(gpu_job, ps, {}, 1)), std::vector<std::string>{"cheap-gpu"});
  EXPECT_EQ(hourly_rate_micros(ps["cheap-gpu"], gpu_job.spec), 2000);
  EXPECT_EQ(names(place_replicas(job(2), ps, {}, 1)), std::vector<std::string>{"cheap-cpu"});
  gpu_job.spec.max_gpu_price_micros = 500;  // below both GPU asks
  EXPECT_EQ(place_replicas(gpu_job, ps, {}, 1).reason, "PriceTooLow");
}

TEST(Placement, ReputationBreaksPriceTies) {
  auto ps = parts({part("new", 100), part("trusted", 100)});
  ps["trusted"].reputation = 0.9;
  ps["new"].reputation = 0.1;
  EXPECT_EQ(names(place_replicas(job(), ps, {}, 1)), std::vector<std::string>{"trusted"});
}

TEST(Placement, ExclusiveTakesTheWholeNode) {
  auto ps = parts({part("a", 1, 8, 4096, 2)});
  Job j = job(1);
  j.spec.exclusive = true;
  Allocation a = allocation_for(ps["a"], j.spec, 0);
  EXPECT_EQ(a.cpus, 8u);
  EXPECT_EQ(a.memory_mb, 4096u);
  EXPECT_EQ(a.gpus, 2u);
  ps["a"].allocate(j.id, a);
  EXPECT_TRUE(place_replicas(job(1), ps, {}, 1).chosen.empty());  // nothing shares it
  ps["a"].release(j.id);
  EXPECT_EQ(ps["a"].used_cpus, 0u);
  EXPECT_EQ(names(place_replicas(job(1), ps, {}, 1)), std::vector<std::string>{"a"});
}

TEST(PlacementTest, AnImageJobGoesWhereItsRegistryIsAllowedAndItsImageIsCachedFirst) {
  Job j = job();
  j.spec.image = "127.0.0.1:5000/og/base@sha256:" + std::string(64, 'a');
  auto jailed = [](const std::string& name, std::vector<std::string> registries) {
    Partition p = part(name, 100);
    p.isolation = "jail";
    p.registries = std::move(registries);
    return p;
  };
  auto none = parts({jailed("elsewhere", {"registry.example.org"}), part("unjailed", 100)});
  auto r = place_replicas(j, none, {}, 1);
  EXPECT_TRUE(r.chosen.empty());
  EXPECT_EQ(r.reason, reason::kRegistryNotAllowed);
  auto ps = parts({jailed("a", {"127.0.0.1:5000"}), jailed("b", {"127.0.0.1:5000"}), jailed("c", {"127.0.0.1:5000"})});
  ps["b"].cached = {"sha256:" + std::string(64, 'a')};
  EXPECT_EQ(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"b"}) << "equal offers: the one holding the image";
  ps["b"].price_micros = 200;
  EXPECT_NE(names(place_replicas(j, ps, {}, 1)), std::vector<std::string>{"b"}) << "but never a dearer one";
}

}  // namespace
}  // namespace og
