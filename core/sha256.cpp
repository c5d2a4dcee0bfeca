#include "core/sha256.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "core/file_io.hpp"
#include "core/hex.hpp"
#include "core/sha256_engine.hpp"
#include "core/sodium_init.hpp"

namespace og {
namespace {

class SodiumSha256 final : public Sha256State {
 public:
  SodiumSha256() { crypto_hash_sha256_init(&state_); }
  void update(const void* data, size_t size) override {
    crypto_hash_sha256_update(&state_, static_cast<const unsigned char*>(data), size);
  }
  std::string hex() override {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state_, digest);
    return to_hex(digest, sizeof digest);
  }

 private:
  crypto_hash_sha256_state state_;
};

std::unique_ptr<Sha256State> make_sodium_sha256() { return std::make_unique<SodiumSha256>(); }

std::atomic<Sha256Engine> engine{&make_sodium_sha256};

std::unique_ptr<Sha256State> new_sha256() { return engine.load(std::memory_order_relaxed)(); }

}  // namespace

void set_sha256_engine(Sha256Engine e) { engine.store(e); }

std::string sha256_hex(std::string_view data) {
  auto state = new_sha256();
  state->update(data.data(), data.size());
  return state->hex();
}

Sha256::Sha256() : state_(new_sha256()) {}
Sha256::~Sha256() = default;
void Sha256::update(std::string_view data) { state_->update(data.data(), data.size()); }
std::string Sha256::hex() { return state_->hex(); }

std::string sha256_file_hex(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  auto state = new_sha256();
  // One buffer per thread: allocating (and zeroing) it per file cost more than hashing
  // the small outputs most jobs leave.
  static thread_local std::vector<char> buffer(256 * 1024);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    state->update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("error reading " + path.string());
  return state->hex();
}

std::string sha256_untrusted_file_hex(int dir_fd, const std::string& name, uint64_t max_bytes) {
  auto state = new_sha256();
  read_untrusted_file(dir_fd, name, max_bytes, [&](const char* data, size_t size) { state->update(data, size); });
  return state->hex();
}

std::string random_token_hex() {
  ensure_sodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return to_hex(bytes, sizeof bytes);
}

bool is_lower_hex(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool is_sha256_hex(std::string_view text) { return text.size() == 64 && is_lower_hex(text); }

}  // namespace og
