// AvailabilityProfile: what a partition has free over time, from the time limits of what
// runs on it and the reservations made on it.
#include <gtest/gtest.h>

#include "scheduler/availability_profile.hpp"

namespace og {
namespace {

constexpr int64_t kNow = 1'000'000'000;
constexpr int64_t kHour = 3'600'000'000;

Partition partition(uint32_t cpus, uint64_t memory_mb = 8192, uint32_t gpus = 0) {
  Partition p;
  p.name = "p";
  p.cpus = cpus;
  p.memory_mb = memory_mb;
  p.gpus = gpus;
  return p;
}

Allocation need(uint32_t cpus, uint64_t memory_mb = 0, uint32_t gpus = 0) {
  return Allocation{cpus, memory_mb, gpus, kNever};
}

TEST(AvailabilityProfile, IdlePartitionStartsNow) {
  AvailabilityProfile prof(partition(4), kNow);
  EXPECT_EQ(prof.earliest_start(need(4), kHour), kNow);
  EXPECT_FALSE(prof.earliest_start(need(5), kHour).has_value());
  EXPECT_TRUE(prof.fits(kNow, need(4), kNever));
}

TEST(AvailabilityProfile, RunningWorkFreesItsResourcesAtItsTimeLimit) {
  Partition p = partition(4);
  p.allocate(1, Allocation{3, 0, 0, kNow + 2 * kHour});
  p.allocate(2, Allocation{1, 0, 0, kNow + kHour});
  AvailabilityProfile prof(p, kNow);
  EXPECT_FALSE(prof.fits(kNow, need(1), kHour));
  EXPECT_EQ(prof.earliest_start(need(1), kHour), kNow + kHour);
  EXPECT_EQ(prof.earliest_start(need(2), kHour), kNow + 2 * kHour);
  EXPECT_EQ(prof.earliest_start(need(4), kNever), kNow + 2 * kHour);
}

TEST(AvailabilityProfile, WorkWithoutTimeLimitHoldsForEver) {
  Partition p = partition(4);
  p.allocate(1, Allocation{3, 0, 0, kNever});
  AvailabilityProfile prof(p, kNow);
  EXPECT_EQ(prof.earliest_start(need(1), kHour), kNow);
  EXPECT_FALSE(prof.earliest_start(need(2), kHour).has_value());
}

TEST(AvailabilityProfile, ReservationsShapeLaterStarts) {
  AvailabilityProfile prof(partition(4), kNow);
  // All 4 CPUs are held from +1h to +2h: a 2-hour job fits only after that...
  prof.reserve(kNow + kHour, need(4), kHour);
  EXPECT_EQ(prof.earliest_start(need(1), 2 * kHour), kNow + 2 * kHour);
  // ...but a 1-hour job fits in the hole before it (backfill).
  EXPECT_EQ(prof.earliest_start(need(4), kHour), kNow);
  EXPECT_TRUE(prof.fits(kNow, need(4), kHour));
  EXPECT_FALSE(prof.fits(kNow, need(1), kHour + 1));
  prof.reserve(kNow, need(2), kHour);
  EXPECT_TRUE(prof.fits(kNow, need(2), kHour));
  EXPECT_FALSE(prof.fits(kNow, need(3), kHour));
  EXPECT_EQ(prof.earliest_start(need(3), kHour), kNow + 2 * kHour);
}

TEST(AvailabilityProfile, MemoryAndGpusCountToo) {
  Partition p = partition(8, 1000, 2);
  p.allocate(1, Allocation{1, 900, 1, kNow + kHour});
  AvailabilityProfile prof(p, kNow);
  EXPECT_EQ(prof.earliest_start(need(1, 200), kHour), kNow + kHour);
  EXPECT_EQ(prof.earliest_start(need(1, 100, 1), kHour), kNow);
  EXPECT_EQ(prof.earliest_start(need(1, 0, 2), kHour), kNow + kHour);
}

TEST(AvailabilityProfile, OverdueWorkIsExpectedToEndNow) {
  Partition p = partition(2);
  p.allocate(1, Allocation{2, 0, 0, kNow - kHour});  // past its limit, not yet reported
  AvailabilityProfile prof(p, kNow);
  EXPECT_EQ(prof.earliest_start(need(2), kHour), kNow);
}

}  // namespace
}  // namespace og
