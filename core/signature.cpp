#include "core/signature.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/sodium_init.hpp"

namespace og {
namespace {

constexpr size_t kKeyBytes = 32, kSignatureBytes = 64;
static_assert(crypto_sign_SEEDBYTES == kKeyBytes && crypto_sign_PUBLICKEYBYTES == kKeyBytes &&
              crypto_sign_BYTES == kSignatureBytes);

// libsodium's secret key: the 32-byte seed followed by the public key.
struct SecretKey {
  unsigned char pub[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret[crypto_sign_SECRETKEYBYTES];
  ~SecretKey() { sodium_memzero(secret, sizeof secret); }
};

void expand(const std::string& private_hex, SecretKey& key) {
  std::vector<unsigned char> seed;
  if (!from_hex(private_hex, seed, kKeyBytes)) throw UsageError("malformed Ed25519 private key (64 hex digits expected)");
  ensure_sodium();
  crypto_sign_seed_keypair(key.pub, key.secret, seed.data());
  sodium_memzero(seed.data(), seed.size());
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
  ensure_sodium();
  unsigned char seed[kKeyBytes];
  randombytes_buf(seed, sizeof seed);
  KeyPair k;
  k.private_hex = to_hex(seed, sizeof seed);
  sodium_memzero(seed, sizeof seed);
  k.public_hex = ed25519_public_of(k.private_hex);
  return k;
}

std::string ed25519_public_of(const std::string& private_hex) {
  SecretKey key;
  expand(private_hex, key);
  return to_hex(key.pub, sizeof key.pub);
}

std::string ed25519_sign(const std::string& private_hex, std::string_view message) {
  SecretKey key;
  expand(private_hex, key);
  unsigned char sig[kSignatureBytes];
  // Ed25519 signs the message itself (no separate digest).
  if (crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                           key.secret) != 0)
    throw std::runtime_error("libsodium: Ed25519 signing failed");
  return to_hex(sig, sizeof sig);
}

std::string ed25519_sign(const KeyPair& key, std::string_view message) {
  // libsodium's secret key is the seed followed by the public key.
  std::vector<unsigned char> seed, pub;
  if (!from_hex(key.private_hex, seed, kKeyBytes) || !from_hex(key.public_hex, pub, kKeyBytes))
    throw UsageError("malformed Ed25519 key pair (64 hex digits each expected)");
  SecretKey sk;
  std::copy(seed.begin(), seed.end(), sk.secret);
  std::copy(pub.begin(), pub.end(), sk.secret + kKeyBytes);
  sodium_memzero(seed.data(), seed.size());
  ensure_sodium();
  unsigned char sig[kSignatureBytes];
  if (crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                           sk.secret) != 0)
    throw std::runtime_error("libsodium: Ed25519 signing failed");
  return to_hex(sig, sizeof sig);
}

bool ed25519_verify(const std::string& public_hex, std::string_view message, const std::string& signature_hex) {
  std::vector<unsigned char> pub, sig;
  if (!from_hex(public_hex, pub, kKeyBytes) || !from_hex(signature_hex, sig, kSignatureBytes)) return false;
  ensure_sodium();
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     pub.data()) == 0;
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
