// SHA-256. By default through libsodium, which costs nothing to start; programs that hash
// gigabytes (og-schedd, og-worker, og-fetch, og-data, og-verify) call use_openssl_sha256()
// (core/sha256_openssl.hpp) first: OpenSSL uses SHA-NI where the CPU has it, about four
// times faster, but loading and starting it costs a command milliseconds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace og {

// One hash in progress, as an engine computes it (sha256_engine.hpp).
class Sha256State;

std::string sha256_hex(std::string_view data);
// For data that arrives in pieces (a download): update as it comes, then hex() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex();

 private:
  std::unique_ptr<Sha256State> state_;
};
// Streams the file; throws std::runtime_error naming the path when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);
// Lower-case hex only (how digests and keys travel).
bool is_lower_hex(std::string_view text);
bool is_sha256_hex(std::string_view text);  // 64 lower-case hex digits
// For files a stranger controls: opens `name` under `dir_fd` without following a link,
// without blocking on a FIFO, and hashes it only if it is a regular file of at most
// max_bytes; throws std::runtime_error otherwise. Closes nothing it was given.
std::string sha256_untrusted_file_hex(int dir_fd, const std::string& name, uint64_t max_bytes);
// A random 256-bit secret as 64 hex characters (from the kernel's CSPRNG, via libsodium).
std::string random_token_hex();

}  // namespace og
