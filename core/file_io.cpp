#include "core/file_io.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

int open_beneath(int dir_fd, const std::string& relative, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, relative.c_str(), &how, sizeof how));
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

namespace {

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  void reset(int f) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
};

std::vector<std::string> beneath_components(const std::string& relative) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    size_t slash = relative.find('/', pos);
    std::string part = relative.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (part.empty() || part == "." || part == "..")
      throw std::runtime_error("refusing to write \"" + relative + "\": a path must be relative, without empty, . or .. parts");
    parts.push_back(part);
    if (slash == std::string::npos) return parts;
    pos = slash + 1;
  }
}

}  // namespace

void write_file_beneath(const std::string& dir, const std::string& relative, std::string_view data) {
  std::vector<std::string> parts = beneath_components(relative);
  auto refuse = [&](const std::string& where) {
    std::string why = errno == ELOOP || errno == ENOTDIR
                          ? "it is a symbolic link or not a directory, and files are never written through links"
                          : std::strerror(errno);
    return std::runtime_error("cannot write " + dir + "/" + relative + " (at " + where + "): " + why);
  };
  Fd at(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (at.fd < 0) throw refuse(dir);
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += parts[i] + "/";
    if (::mkdirat(at.fd, parts[i].c_str(), 0755) != 0 && errno != EEXIST) throw refuse(walked);
    int next = ::openat(at.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) throw refuse(walked);
    at.reset(next);
  }
  Fd out(::openat(at.fd, parts.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
  if (out.fd < 0) throw refuse(relative);
  struct stat st {};
  errno = EINVAL;
  if (::fstat(out.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw refuse(relative);  // a FIFO or device: no
  if (!write_all(out.fd, data)) throw refuse(relative);
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
