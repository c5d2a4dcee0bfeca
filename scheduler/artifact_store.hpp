// Content-addressed blobs (SHA-256) under the state directory: job outputs uploaded by
// workers, deduplicated, and checked again when read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace og {

class ArtifactStore {
 public:
  explicit ArtifactStore(std::string dir);
  // Stores data under its hash; throws og::ApiError 400 when `sha256` does not match.
  void put(const std::string& sha256, const std::string& data);
  bool contains(const std::string& sha256) const;
  // nullopt when absent; throws og::ApiError 500 when the stored bytes are corrupt.
  std::optional<std::string> get(const std::string& sha256) const;
  // Up to `length` bytes from `offset` on, unhashed (a slice of a blob checked when it was
  // stored: og-tail reads a large output a slice at a time); nullopt when absent.
  std::optional<std::string> read_range(const std::string& sha256, uint64_t offset, size_t length) const;
  // The blob's size on disk; nullopt when absent.
  std::optional<uint64_t> size_of(const std::string& sha256) const;
  void remove(const std::string& sha256);

 private:
  std::string path_of(const std::string& sha256) const;
  std::string dir_;
};


}  // namespace og
