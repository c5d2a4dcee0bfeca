// Writing whole buffers to descriptors and new files, with partial writes and EINTR handled.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace og {

// Writes all of data; false (errno set) on failure.
bool write_all(int fd, std::string_view data);

// Creates `path` (O_EXCL unless `replace`, never following a link at it) with exactly
// `mode`, whatever the umask, and writes data. Throws std::runtime_error naming the path.
void write_new_file(const std::string& path, std::string_view data, mode_t mode, bool replace = false);

// Writes data to `relative` (a/b/c.txt) beneath the directory `dir`, making the
// directories on the way, without following any symbolic link below `dir`: each step is
// opened relative to the one before with O_NOFOLLOW. A path that is absolute or has an
// empty, "." or ".." component is refused. An existing regular file is replaced. Throws
// std::runtime_error naming the path and why.
void write_file_beneath(const std::string& dir, const std::string& relative, std::string_view data);

// Opens `relative` beneath dir_fd (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS): no link on the way, nothing outside. -1 with errno otherwise.
int open_beneath(int dir_fd, const std::string& relative, int flags);

// Reads `name` under dir_fd, which someone else controls: no link is followed, and only a
// regular file of at most max_bytes is read, passed to `chunk` piece by piece. Throws
// std::runtime_error saying why not (also when it grows past max_bytes while read).
void read_untrusted_file(int dir_fd, const std::string& name, uint64_t max_bytes,
                         const std::function<void(const char* data, size_t size)>& chunk);
// The same, whole.
std::string read_untrusted_file(int dir_fd, const std::string& name, uint64_t max_bytes);

}  // namespace og
