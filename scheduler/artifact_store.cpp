#include "scheduler/artifact_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "verify/manifest.hpp"

namespace og {

namespace fs = std::filesystem;

ArtifactStore::ArtifactStore(std::string dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

std::string ArtifactStore::path_of(const std::string& sha256) const {
  return dir_ + "/" + sha256.substr(0, 2) + "/" + sha256;
}

void ArtifactStore::put(const std::string& sha256, const std::string& data) {
  if (!is_sha256_hex(sha256))
    throw ApiError(Refusal::Invalid, "invalid_digest", "artifact name must be 64 lower-case hex digits");
  if (sha256_hex(data) != sha256)
    throw ApiError(Refusal::Invalid, "digest_mismatch", "uploaded bytes do not hash to " + sha256);
  if (contains(sha256)) return;  // deduplicated (the empty blob is implicit)
  std::string path = path_of(sha256);
  fs::create_directories(fs::path(path).parent_path());
  // Write then rename, so a reader never sees a half-written blob.
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(reinterpret_cast<uintptr_t>(&data));
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) throw std::runtime_error("cannot write artifact " + tmp);
  }
  fs::rename(tmp, path);
}

bool ArtifactStore::contains(const std::string& sha256) const {
  return sha256 == kEmptySha256 || (is_sha256_hex(sha256) && fs::exists(path_of(sha256)));
}

void ArtifactStore::remove(const std::string& sha256) {
  if (!is_sha256_hex(sha256)) return;
  std::error_code ec;
  fs::remove(path_of(sha256), ec);
}

std::optional<std::string> ArtifactStore::get(const std::string& sha256) const {
  if (sha256 == kEmptySha256) return std::string();
  if (!contains(sha256)) return std::nullopt;
  std::ifstream in(path_of(sha256), std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string data = buffer.str();
  if (sha256_hex(data) != sha256)
    throw ApiError(Refusal::Internal, "artifact_corrupt", "stored artifact " + sha256 + " is corrupt");
  return data;
}

std::optional<std::string> ArtifactStore::read_range(const std::string& sha256, uint64_t offset, size_t length) const {
  if (sha256 == kEmptySha256) return std::string();
  std::ifstream in(path_of(sha256), std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(static_cast<std::streamoff>(offset));
  std::string data(length, '\0');
  in.read(data.data(), static_cast<std::streamsize>(length));
  data.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return data;
}

std::optional<uint64_t> ArtifactStore::size_of(const std::string& sha256) const {
  if (sha256 == kEmptySha256) return 0;
  std::error_code ec;
  auto size = std::filesystem::file_size(path_of(sha256), ec);
  if (ec) return std::nullopt;
  return size;
}

}  // namespace og
