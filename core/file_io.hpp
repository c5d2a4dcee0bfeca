// Writing whole buffers to descriptors and new files, with partial writes and EINTR handled.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace og {

// Writes all of data; false (errno set) on failure.
bool write_all(int fd, std::string_view data);

// Creates `path` (O_EXCL unless `replace`, never following a link at it) with exactly
// `mode`, whatever the umask, and writes data. Throws std::runtime_error naming the path.
void write_new_file(const std::string& path, std::string_view data, mode_t mode, bool replace = false);

}  // namespace og
