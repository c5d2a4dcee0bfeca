#include "core/sha256.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "core/file_io.hpp"
#include "core/hex.hpp"

namespace og {
namespace {

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

MdCtx new_sha256() {
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
  return ctx;
}

std::string finish(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  return to_hex(digest, len);
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  auto ctx = new_sha256();
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  return finish(ctx.get());
}

Sha256::Sha256() : ctx_(new_sha256().release()) {}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::update(std::string_view data) { EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()); }
std::string Sha256::hex() { return finish(static_cast<EVP_MD_CTX*>(ctx_)); }

std::string sha256_file_hex(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  auto ctx = new_sha256();
  // One buffer per thread: allocating (and zeroing) it per file cost more than hashing
  // the small outputs most jobs leave.
  static thread_local std::vector<char> buffer(256 * 1024);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("error reading " + path.string());
  return finish(ctx.get());
}

std::string sha256_untrusted_file_hex(int dir_fd, const std::string& name, uint64_t max_bytes) {
  auto ctx = new_sha256();
  read_untrusted_file(dir_fd, name, max_bytes,
                      [&](const char* data, size_t size) { EVP_DigestUpdate(ctx.get(), data, size); });
  return finish(ctx.get());
}

std::string random_token_hex() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("OpenSSL: no randomness");
  return to_hex(bytes, sizeof bytes);
}

bool is_lower_hex(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool is_sha256_hex(std::string_view text) { return text.size() == 64 && is_lower_hex(text); }

}  // namespace og
