// SHA-256 of no bytes: empty outputs need no upload, every store holds them implicitly.
inline constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// An output manifest: every file a job left in its directory, with size and SHA-256,
// sorted by path, and a Merkle root over them so replicas can be compared by one hash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace og {

struct ManifestEntry {
  std::string path;  // relative, '/'-separated
  uint64_t size = 0;
  std::string sha256;
};

struct Manifest {
  static constexpr int kVersion = 1;
  std::vector<ManifestEntry> files;  // sorted by path
  std::string root;                  // Merkle root (hex); equal roots mean equal outputs
};

// Walks dir (regular files only; links are not followed) and skips any path that starts
// with one of the excluded prefixes (e.g. ".og/", the worker's own bookkeeping).
// Throws ManifestTooLarge, before hashing anything, when the files add up to more than
// max_total_bytes (apparent sizes: a sparse file counts in full, as it would upload).
Manifest compute_manifest(const std::filesystem::path& dir, const std::vector<std::string>& excluded_prefixes,
                          uint64_t max_total_bytes = UINT64_MAX);

class ManifestTooLarge : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Leaves are SHA-256("path\0size\0sha256"); pairs are hashed upward, an odd node is
// carried up unchanged. The root of no files is SHA-256 of the empty string.
std::string merkle_root(const std::vector<ManifestEntry>& files);

nlohmann::json to_json(const Manifest& manifest);
// Checks shape, sorting and the root; throws og::ApiError 400 "invalid_manifest".
Manifest manifest_from_json(const nlohmann::json& j);

}  // namespace og
