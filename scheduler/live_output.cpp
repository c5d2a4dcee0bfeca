#include "scheduler/live_output.hpp"

#include <algorithm>

namespace og {

void LiveOutput::append(uint64_t lease, const std::string& stream, uint64_t offset, std::string_view bytes) {
  std::lock_guard lock(mu_);
  Window& w = windows_[{lease, stream}];
  uint64_t end = w.start + w.bytes.size();
  if (offset + bytes.size() <= end && !w.bytes.empty()) return;  // all held already
  if (offset > end || w.bytes.empty()) {
    total_ -= w.bytes.size();
    w.bytes.clear();
    w.start = offset;  // a gap: what lies between was not sent
  } else {
    bytes.remove_prefix(end - offset);  // the part held already
  }
  w.bytes.append(bytes);
  total_ += bytes.size();
  if (w.bytes.size() > kWindowBytes) {
    size_t drop = w.bytes.size() - kWindowBytes;
    w.bytes.erase(0, drop);
    w.start += drop;
    total_ -= drop;
  }
  w.appended = ++appends_;
  trim_total();
  grown_.notify_all();
}

void LiveOutput::trim_total() {
  while (total_ > kMaxTotalBytes) {
    auto oldest = std::min_element(windows_.begin(), windows_.end(),
                                   [](const auto& a, const auto& b) { return a.second.appended < b.second.appended; });
    total_ -= oldest->second.bytes.size();
    windows_.erase(oldest);
  }
}

std::optional<LiveOutput::Slice> LiveOutput::read(uint64_t lease, const std::string& stream, uint64_t from,
                                                  size_t max_bytes, std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  const Key key{lease, stream};
  // Woken by bytes past `from`, or by a replica ending (maybe this one: its files are then
  // in its report).
  const uint64_t closes = closes_;
  grown_.wait_for(lock, wait, [&] {
    auto it = windows_.find(key);
    return closes_ != closes || (it != windows_.end() && it->second.start + it->second.bytes.size() > from);
  });
  auto it = windows_.find(key);
  if (it == windows_.end()) return std::nullopt;
  const Window& w = it->second;
  Slice slice;
  slice.end = w.start + w.bytes.size();
  slice.start = std::clamp(from, w.start, slice.end);
  slice.data = w.bytes.substr(slice.start - w.start, max_bytes);
  return slice;
}

void LiveOutput::close(uint64_t lease) {
  std::lock_guard lock(mu_);
  for (const char* stream : {"out", "err"}) {
    auto it = windows_.find({lease, stream});
    if (it == windows_.end()) continue;
    total_ -= it->second.bytes.size();
    windows_.erase(it);
  }
  ++closes_;
  grown_.notify_all();
}

}  // namespace og
