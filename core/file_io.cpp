#include "core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace og {

bool write_all(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void write_new_file(const std::string& path, std::string_view data, mode_t mode, bool replace) {
  int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0)
    throw std::runtime_error("cannot create " + path + ": " + (errno == EEXIST ? "it exists already (named twice?)" : std::strerror(errno)));
  bool ok = write_all(fd, data) && ::fchmod(fd, mode) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
}

void read_untrusted_file(int dir_fd, const std::string& name, uint64_t max_bytes,
                         const std::function<void(const char* data, size_t size)>& chunk) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + name + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw std::runtime_error(name + " is not a regular file of at most " + std::to_string(max_bytes) + " bytes");
  }
  static thread_local std::vector<char> buffer(256 * 1024);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += static_cast<uint64_t>(n);
    if (total > max_bytes) break;  // grew while read: refused below
    chunk(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  if (total > max_bytes) throw std::runtime_error(name + " grew past " + std::to_string(max_bytes) + " bytes");
}

std::string read_untrusted_file(int dir_fd, const std::string& name, uint64_t max_bytes) {
  std::string content;
  read_untrusted_file(dir_fd, name, max_bytes, [&](const char* data, size_t size) { content.append(data, size); });
  return content;
}

}  // namespace og
