// Ed25519 signatures (libsodium: it starts in microseconds, where OpenSSL's providers take
// milliseconds, which every og-sbatch would pay): a requester signs what it submits (a job bundle's digest
// with its spec), og-schedd records each user's public key, a worker checks the signature
// before it unpacks anything. Keys travel as hex of their raw 32 bytes; a private key is
// kept in a file of mode 0600.
#pragma once

#include <string>
#include <string_view>

namespace og {

struct KeyPair {
  std::string private_hex;  // 32-byte seed
  std::string public_hex;   // 32 bytes
};

KeyPair generate_ed25519();
// The public key of a private one; throws og::UsageError for a malformed key.
std::string ed25519_public_of(const std::string& private_hex);
// Hex of the 64-byte signature of message.
std::string ed25519_sign(const std::string& private_hex, std::string_view message);
// The same with a key pair whose public half was derived from its private one (as
// load_or_create_key's are): one curve multiplication fewer, which a command feels.
std::string ed25519_sign(const KeyPair& key, std::string_view message);
// False for a bad signature, a wrong key or malformed hex (never throws).
bool ed25519_verify(const std::string& public_hex, std::string_view message, const std::string& signature_hex);

// The requester's key under dir (private.key 0600, public.key), created on first use.
KeyPair load_or_create_key(const std::string& dir);

}  // namespace og
