#include "scheduler/live_output.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace og {
namespace {

using std::chrono::milliseconds;

TEST(LiveOutput, KeepsWhatCameOnceAndSaysWhereItLies) {
  LiveOutput live;
  EXPECT_FALSE(live.read(7, "out", 0, 100, milliseconds(0))) << "nothing streamed yet";
  live.append(7, "p", "out", 0, "hello ");
  live.append(7, "p", "out", 0, "hello ");      // resent: held already
  live.append(7, "p", "out", 3, "lo world\n");  // overlaps: only the new part is kept
  auto all = live.read(7, "out", 0, 100, milliseconds(0));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->data, "hello world\n");
  EXPECT_EQ(all->start, 0u);
  EXPECT_EQ(all->end, 12u);
  auto tail = live.read(7, "out", 6, 3, milliseconds(0));
  EXPECT_EQ(tail->data, "wor");
  EXPECT_EQ(tail->end, 12u);
  EXPECT_FALSE(live.read(7, "err", 0, 100, milliseconds(0))) << "streams are apart";
}

TEST(LiveOutput, AGapIsKeptAsSuch) {
  LiveOutput live;
  live.append(1, "p", "out", 0, "abc");
  live.append(1, "p", "out", 100, "xyz");  // the worker skipped 97 bytes it could not send in time
  auto slice = live.read(1, "out", 3, 100, milliseconds(0));
  EXPECT_EQ(slice->start, 100u) << "past the gap";
  EXPECT_EQ(slice->data, "xyz");
}

TEST(LiveOutput, FarOffsetsAndReadersPastTheEndAreSafe) {
  LiveOutput live;
  live.append(2, "p", "out", LiveOutput::kMaxOffset, "end");
  auto slice = live.read(2, "out", 0, 100, milliseconds(0));
  EXPECT_EQ(slice->start, LiveOutput::kMaxOffset);
  EXPECT_EQ(slice->data, "end");
  auto past = live.read(2, "out", UINT64_MAX, 100, milliseconds(0));
  EXPECT_EQ(past->data, "") << "a reader past the end gets nothing, not a wrapped slice";
  EXPECT_EQ(past->start, LiveOutput::kMaxOffset + 3);
}

TEST(LiveOutput, HoldsOnlyTheLastWindowOfAStream) {
  LiveOutput live;
  std::string big(LiveOutput::kWindowBytes + 10, 'a');
  big.back() = 'z';
  live.append(1, "p", "out", 0, big);
  auto slice = live.read(1, "out", 0, SIZE_MAX, milliseconds(0));
  EXPECT_EQ(slice->start, 10u);
  EXPECT_EQ(slice->data.size(), LiveOutput::kWindowBytes);
  EXPECT_EQ(slice->data.back(), 'z');
}

TEST(LiveOutput, AReaderWaitsForBytesAndIsWokenWhenTheReplicaEnds) {
  LiveOutput live;
  live.append(3, "p", "out", 0, "a");
  std::thread writer([&] { live.append(3, "p", "out", 1, "b"); });
  auto next = live.read(3, "out", 1, 10, milliseconds(20000));
  writer.join();
  EXPECT_EQ(next->data, "b");
  std::thread closer([&] { live.close(3); });
  auto after = live.read(3, "out", 2, 10, milliseconds(5000));
  closer.join();
  EXPECT_FALSE(after && !after->data.empty()) << "ended: its files are in its report now";
  EXPECT_FALSE(live.read(3, "out", 0, 10, milliseconds(0)));
}

TEST(LiveOutput, OneProvidersStreamsCannotPushOutAnothers) {
  LiveOutput live;
  live.append(1, "honest", "out", 0, "keep me");
  std::string window(LiveOutput::kWindowBytes, 'x');
  for (uint64_t lease = 100; lease < 100 + 2 * LiveOutput::kMaxPerProvider / LiveOutput::kWindowBytes; ++lease)
    live.append(lease, "greedy", "out", 0, window);
  EXPECT_EQ(live.read(1, "out", 0, 100, milliseconds(0))->data, "keep me");
  EXPECT_FALSE(live.read(100, "out", 0, 1, milliseconds(0))) << "the greedy provider's oldest went";
}

TEST(LiveOutput, ForgetsTheStreamAppendedLongestAgoPastTheTotal) {
  LiveOutput live;
  std::string window(LiveOutput::kWindowBytes, 'x');
  size_t streams = LiveOutput::kMaxTotalBytes / LiveOutput::kWindowBytes;
  for (uint64_t lease = 1; lease <= streams + 1; ++lease) live.append(lease, "p" + std::to_string(lease % 8), "out", 0, window);
  EXPECT_FALSE(live.read(1, "out", 0, 1, milliseconds(0))) << "the oldest went";
  EXPECT_TRUE(live.read(2, "out", 0, 1, milliseconds(0)));
  EXPECT_TRUE(live.read(streams + 1, "out", 0, 1, milliseconds(0)));
}

}  // namespace
}  // namespace og
