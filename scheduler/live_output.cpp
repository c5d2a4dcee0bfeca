#include "scheduler/live_output.hpp"

#include <algorithm>

namespace og {

void LiveOutput::append(uint64_t lease, const std::string& provider, const std::string& stream, uint64_t offset,
                        std::string_view bytes) {
  std::lock_guard lock(mu_);
  Window& w = windows_[{lease, stream}];
  w.provider = provider;
  size_t before = w.bytes.size();
  uint64_t end = w.start + w.bytes.size();
  if (offset + bytes.size() <= end && !w.bytes.empty()) return;  // all held already
  if (offset > end || w.bytes.empty()) {
    w.bytes.clear();
    w.start = offset;  // a gap: what lies between was not sent
  } else {
    bytes.remove_prefix(end - offset);  // the part held already
  }
  w.bytes.append(bytes);
  if (w.bytes.size() > kWindowBytes) {
    size_t drop = w.bytes.size() - kWindowBytes;
    w.bytes.erase(0, drop);
    w.start += drop;
  }
  total_ = total_ - before + w.bytes.size();
  per_provider_[provider] = per_provider_[provider] - before + w.bytes.size();
  w.appended = ++appends_;
  trim(provider);
  grown_.notify_all();
}

void LiveOutput::forget(std::map<Key, Window>::iterator it) {
  total_ -= it->second.bytes.size();
  auto p = per_provider_.find(it->second.provider);
  if (p != per_provider_.end() && (p->second -= it->second.bytes.size()) == 0) per_provider_.erase(p);
  windows_.erase(it);
}

void LiveOutput::trim(const std::string& provider) {
  auto oldest_where = [&](auto&& counts) {
    auto oldest = windows_.end();
    for (auto it = windows_.begin(); it != windows_.end(); ++it)
      if (counts(it->second) && (oldest == windows_.end() || it->second.appended < oldest->second.appended)) oldest = it;
    return oldest;
  };
  while (per_provider_.count(provider) && per_provider_[provider] > kMaxPerProvider)
    forget(oldest_where([&](const Window& w) { return w.provider == provider; }));
  while (total_ > kMaxTotalBytes) forget(oldest_where([](const Window&) { return true; }));
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
    if (it != windows_.end()) forget(it);
  }
  ++closes_;
  grown_.notify_all();
}

}  // namespace og
