#include "worker/output_streamer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "core/file_io.hpp"
#include "core/log.hpp"

namespace og {

namespace {

// Opens `relative` beneath the job directory without following any link: the running job
// owns its files, and we read them as root, so one it replaced by a link to a file of the
// host must lead nowhere (and a FIFO must not block us).
int open_job_file(const std::string& job_dir, const std::string& relative) {
  int dir_fd = ::open(job_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) return -1;
  int fd = open_beneath(dir_fd, relative, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  ::close(dir_fd);
  struct stat st {};
  if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

OutputStreamer::OutputStreamer(std::string url, std::string token, std::string ca_file, Backend& backend)
    : url_(std::move(url)), token_(std::move(token)), ca_file_(std::move(ca_file)), backend_(backend) {
  client_ = std::make_unique<HttpClient>(url_, token_, ca_file_);
  thread_ = std::thread([this] { loop(); });
}

OutputStreamer::~OutputStreamer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void OutputStreamer::follow(uint64_t lease, const jobscripts::StdioFiles& files) {
  std::lock_guard lock(mu_);
  followed_[lease] = Followed{files, 0, 0};
}

void OutputStreamer::forget(uint64_t lease) {
  std::lock_guard lock(mu_);
  followed_.erase(lease);
}

void OutputStreamer::loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; })) {
    std::vector<std::pair<uint64_t, Followed>> leases(followed_.begin(), followed_.end());
    lock.unlock();
    for (auto& [lease, f] : leases) {
      std::string dir = backend_.job_dir(lease);
      if (dir.empty()) continue;
      bool wanted = send_new_bytes(lease, dir, f.files.out, "out", f.out_sent);
      if (wanted && f.files.err != f.files.out) wanted = send_new_bytes(lease, dir, f.files.err, "err", f.err_sent);
      std::lock_guard relock(mu_);
      auto it = followed_.find(lease);
      if (it == followed_.end()) continue;  // ended meanwhile
      if (!wanted) followed_.erase(it);
      else it->second = f;
    }
    lock.lock();
  }
}

bool OutputStreamer::send_new_bytes(uint64_t lease, const std::string& job_dir, const std::string& file,
                                    const char* stream, uint64_t& sent) {
  int fd = open_job_file(job_dir, file);
  if (fd < 0) return true;  // not written yet (or not a plain file: nothing to follow)
  struct stat st {};
  ::fstat(fd, &st);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < sent) sent = size;  // truncated: follow from its new end
  if (size == sent) {
    ::close(fd);
    return true;
  }
  uint64_t from = size - sent > kChunkBytes ? size - kChunkBytes : sent;  // too fast: its newest bytes
  std::string bytes(size - from, '\0');
  ssize_t n = ::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(from));
  ::close(fd);
  if (n <= 0) return true;
  bytes.resize(static_cast<size_t>(n));
  try {
    auto r = client_->request("POST", "/og/v1/leases/" + std::to_string(lease) + "/output?stream=" + stream +
                                          "&offset=" + std::to_string(from),
                              bytes, 10000, "application/octet-stream");
    if (r.status == 200) sent = from + bytes.size();
    // The lease ended or is no longer ours: nothing more to send for it.
    return r.status != 403 && r.status != 404 && r.status != 409;
  } catch (const std::exception& e) {
    log_warn("output_stream_failed", {{"lease", std::to_string(lease)}, {"error", e.what()}});
    return true;  // og-schedd away: the next tick tries again
  }
}

}  // namespace og
