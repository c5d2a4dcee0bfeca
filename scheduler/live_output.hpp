// What running replicas have lately written to their output and error files, as their
// workers stream it, for the job's owner to follow (og-tail, the dashboard). In memory
// only, and bounded: the last kWindowBytes of each stream, kMaxPerProvider for one
// provider's streams (so that one provider's many jobs cannot push out everyone else's)
// and kMaxTotalBytes in all — past a bound, the stream appended to longest ago goes first.
// The whole files come with the result.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace og {

class LiveOutput {
 public:
  static constexpr size_t kWindowBytes = 256 * 1024;
  static constexpr size_t kMaxTotalBytes = 64 * 1024 * 1024;
  static constexpr size_t kMaxPerProvider = 16 * 1024 * 1024;
  static constexpr uint64_t kMaxOffset = 1ull << 50;  // offsets past it are refused (no sum wraps)

  struct Slice {
    uint64_t start = 0;  // where `data` begins in the file (past `from` when bytes were skipped)
    std::string data;
    uint64_t end = 0;    // how long the file was at its last report
  };

  // Bytes of `stream` ("out" or "err") of `lease` from `offset` on. Bytes already held are
  // dropped (a resent chunk); a gap (the worker skipped what it could not send in time) is
  // kept as such.
  void append(uint64_t lease, const std::string& provider, const std::string& stream, uint64_t offset,
              std::string_view bytes);
  // Up to max_bytes from `from` on (from the window's start when it begins later), waiting
  // up to `wait` for bytes past `from` to come; nullopt when nothing of it is held.
  std::optional<Slice> read(uint64_t lease, const std::string& stream, uint64_t from, size_t max_bytes,
                            std::chrono::milliseconds wait);
  // The replica has ended: its files are in its report now. Forgets its windows and wakes
  // whoever waits on them.
  void close(uint64_t lease);

 private:
  struct Window {
    uint64_t start = 0;  // the file offset of bytes[0]
    std::string bytes;
    uint64_t appended = 0;  // when, by a counter (oldest goes first past the limit)
    std::string provider;   // whose worker sent it
  };
  using Key = std::pair<uint64_t, std::string>;
  void trim(const std::string& provider);  // with mu_ held
  void forget(std::map<std::pair<uint64_t, std::string>, Window>::iterator it);  // with mu_ held

  std::mutex mu_;
  std::condition_variable grown_;
  std::map<Key, Window> windows_;
  size_t total_ = 0;
  std::map<std::string, size_t> per_provider_;
  uint64_t appends_ = 0;
  uint64_t closes_ = 0;
};

}  // namespace og
