// Applies image layers (tar archives, gzip- or zstd-compressed, from a stranger) to a
// root directory, in order. Refused, naming the entry: absolute paths, "..", device
// nodes, sockets, hard links to anything this layer did not itself create, writing
// through a symbolic link, a whiteout that would reach outside the root. Setuid and setgid
// bits, owners and extended attributes (file capabilities) never survive. Whiteouts
// (".wh.NAME", ".wh..wh..opq") remove what lower layers put there.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace og {

class BadLayer : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// More than the room it was given (the provider's cache is too small for it).
class LayerTooLarge : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LayerLimits {
  uint64_t max_bytes = 0;  // file bytes this layer may add, 0 = no bound
  uint64_t max_entries = 2'000'000;
};

// root: an existing directory, given as a real path (no link in it). Returns the bytes of
// the files written. Throws BadLayer for what the layer must not do, LayerTooLarge past
// max_bytes, std::runtime_error for a local failure (disk full).
uint64_t apply_layer(const std::string& blob_file, const std::string& root, const LayerLimits& limits = {});

// Removes `relative` (a file or a whole tree) beneath root_fd, never following a link on
// the way; nothing when it is not there. Throws BadLayer when the path leads out.
void remove_beneath(int root_fd, const std::string& relative);

}  // namespace og
