#include "core/signature.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "core/hex.hpp"

namespace og {
namespace {

constexpr size_t kKeyBytes = 32, kSignatureBytes = 64;

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

PKey private_key(const std::string& private_hex) {
  std::vector<unsigned char> seed;
  if (!from_hex(private_hex, seed, kKeyBytes)) throw UsageError("malformed Ed25519 private key (64 hex digits expected)");
  PKey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()), EVP_PKEY_free);
  if (!key) throw UsageError("OpenSSL refused the Ed25519 private key");
  return key;
}

void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out) throw UsageError("cannot write " + tmp.string());
  }
  chmod(tmp.c_str(), mode);
  std::filesystem::rename(tmp, path);  // whole or not at all
}

std::string read_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

KeyPair generate_ed25519() {
  unsigned char seed[kKeyBytes];
  if (RAND_bytes(seed, sizeof seed) != 1) throw std::runtime_error("OpenSSL: no randomness");
  KeyPair k;
  k.private_hex = to_hex(seed, sizeof seed);
  k.public_hex = ed25519_public_of(k.private_hex);
  return k;
}

std::string ed25519_public_of(const std::string& private_hex) {
  PKey key = private_key(private_hex);
  unsigned char pub[kKeyBytes];
  size_t len = sizeof pub;
  if (EVP_PKEY_get_raw_public_key(key.get(), pub, &len) != 1 || len != kKeyBytes)
    throw UsageError("OpenSSL could not derive the Ed25519 public key");
  return to_hex(pub, len);
}

std::string ed25519_sign(const std::string& private_hex, std::string_view message) {
  PKey key = private_key(private_hex);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[kSignatureBytes];
  size_t len = sizeof sig;
  // Ed25519 signs the message itself (no separate digest).
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    throw std::runtime_error("OpenSSL: Ed25519 signing failed");
  return to_hex(sig, len);
}

bool ed25519_verify(const std::string& public_hex, std::string_view message, const std::string& signature_hex) {
  std::vector<unsigned char> pub, sig;
  if (!from_hex(public_hex, pub, kKeyBytes) || !from_hex(signature_hex, sig, kSignatureBytes)) return false;
  PKey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size()), EVP_PKEY_free);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

KeyPair load_or_create_key(const std::string& dir) {
  std::filesystem::path priv = std::filesystem::path(dir) / "private.key", pub = std::filesystem::path(dir) / "public.key";
  if (std::filesystem::exists(priv)) {
    KeyPair k;
    k.private_hex = read_line(priv);
    k.public_hex = ed25519_public_of(k.private_hex);  // the private key is the truth
    return k;
  }
  std::filesystem::create_directories(dir);
  chmod(dir.c_str(), 0700);
  KeyPair k = generate_ed25519();
  write_file(priv, k.private_hex, 0600);
  write_file(pub, k.public_hex, 0644);
  return k;
}

}  // namespace og
