// The order book must place exactly as the full look at every partition does, only faster.
#include <gtest/gtest.h>

#include <random>

#include "scheduler/order_book.hpp"

namespace og {
namespace {

std::vector<std::string> names(const std::vector<Partition*>& chosen) {
  std::vector<std::string> out;
  for (auto* p : chosen) out.push_back(p->name);
  return out;
}

TEST(OrderBook, PicksWhatTheFullScanPicksAsPartitionsFillUp) {
  std::mt19937_64 rng(7);
  std::map<std::string, Partition> partitions;
  for (int i = 0; i < 60; ++i) {
    Partition p;
    p.name = "p" + std::to_string(i);
    p.cpus = 4u << (rng() % 4);
    p.memory_mb = 1 << 20;
    p.price_micros = 100 * int64_t(rng() % 8);  // many equal prices: load decides
    p.reputation = double(rng() % 2);
    if (rng() % 5 == 0) p.operator_name = "op" + std::to_string(rng() % 3);
    if (rng() % 7 == 0) p.state = PartitionState::Drain;
    partitions[p.name] = p;
  }
  OrderBook book(partitions);
  for (uint64_t id = 1; id <= 400; ++id) {
    Job job;
    job.id = id;
    job.spec.cpus_per_task = 1u << (rng() % 4);
    job.spec.max_price_micros = rng() % 3 == 0 ? 400 : 0;
    PlacementRequest request;
    request.count = 1 + uint32_t(rng() % 3);
    auto scanned = place_replicas(job, partitions, request);  // no book: every partition
    auto booked = book.pick(job, request);
    ASSERT_EQ(names(booked), names(scanned.chosen)) << "job " << id;
    for (Partition* p : booked) {
      p->allocate(id, allocation_for(*p, job.spec, 0));
      book.changed(*p);
    }
  }
}

TEST(OrderBook, SkipsOffersTooFullForTheJob) {
  std::map<std::string, Partition> partitions;
  for (int i = 0; i < 5; ++i) {
    Partition& p = partitions["p" + std::to_string(i)];
    p.name = "p" + std::to_string(i);
    p.cpus = 8;
    p.memory_mb = 1024;
    p.price_micros = 100 + i;
  }
  partitions["p0"].allocate(1, Allocation{7, 0, 0, kNever});
  partitions["p1"].allocate(2, Allocation{6, 0, 0, kNever});
  OrderBook book(partitions);
  Job job;
  job.spec.cpus_per_task = 3;
  PlacementRequest request;
  request.count = 2;
  EXPECT_EQ(names(book.pick(job, request)), (std::vector<std::string>{"p2", "p3"}));
  job.spec.cpus_per_task = 2;  // fits p1 again
  EXPECT_EQ(names(book.pick(job, request)), (std::vector<std::string>{"p1", "p2"}));
  partitions["p1"].release(2);
  book.changed(partitions["p1"]);
  job.spec.cpus_per_task = 8;
  request.count = 1;
  EXPECT_EQ(names(book.pick(job, request)), std::vector<std::string>{"p1"});
}

}  // namespace
}  // namespace og
