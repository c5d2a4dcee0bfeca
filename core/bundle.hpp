// Job bundles: the files a requester ships with a script, as a POSIX ustar archive written
// deterministically (sorted, mtime 0, owner 0, modes 0644/0755) so that the same files
// always give the same SHA-256. Unpacking is for archives from strangers: it refuses
// absolute paths, "..", links that could lead out of the target directory, hard links,
// devices and FIFOs, and anything over the size or entry limits; setuid and setgid bits
// never survive.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace og {

struct BundleLimits {
  uint64_t max_bytes = 64ull << 20;  // of the files unpacked, in total
  uint32_t max_entries = 10000;
};

class BundleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BundleSource {
  std::string path;    // inside the bundle, relative ("data/x.csv")
  std::string source;  // file or directory on this machine
};

// Packs regular files and directories (recursively); symbolic links are packed as links
// when they stay inside the bundle, else refused. Throws BundleError naming the file.
std::string pack_bundle(const std::vector<BundleSource>& sources, const BundleLimits& limits = {});

// Unpacks into an existing directory; returns the number of entries. Throws BundleError
// naming the entry and the rule it broke; what was unpacked before stays (the caller
// discards the directory).
size_t unpack_bundle(std::string_view archive, const std::string& dir, const BundleLimits& limits = {});

// The SHA-256 of each regular file in the archive, by its path: what a job was given, so
// that fetching its result need not bring those back unchanged. Throws BundleError.
std::map<std::string, std::string> bundle_file_digests(std::string_view archive, const BundleLimits& limits = {});

}  // namespace og
