#include "chain/evm_tx.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <stdexcept>

#include "chain/keccak.hpp"

namespace og::evm {
namespace {

std::string length_prefix(size_t length, uint8_t short_base, uint8_t long_base) {
  if (length <= 55) return std::string(1, static_cast<char>(short_base + length));
  std::string be;
  for (size_t n = length; n > 0; n >>= 8) be.insert(be.begin(), static_cast<char>(n & 0xff));
  return std::string(1, static_cast<char>(long_base + be.size())) + be;
}

std::string strip_leading_zeros(std::string_view bytes) {
  size_t first = bytes.find_first_not_of('\0');
  return first == std::string_view::npos ? std::string() : std::string(bytes.substr(first));
}

// One context for the process (never destroyed): creating one costs far more than a signature.
const secp256k1_context* context() {
  static const secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

void check_key(std::string_view key) {
  if (key.size() != 32 ||
      !secp256k1_ec_seckey_verify(context(), reinterpret_cast<const unsigned char*>(key.data())))
    throw std::invalid_argument("not a secp256k1 private key (32 bytes, nonzero, below the curve order)");
}

// r || s and the recovery id of a digest signed with the key.
std::pair<std::string, int> sign_digest(const Hash32& digest, std::string_view private_key) {
  check_key(private_key);
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(),
                                        reinterpret_cast<const unsigned char*>(private_key.data()), nullptr, nullptr))
    throw std::runtime_error("secp256k1 signing failed");
  unsigned char compact[64];
  int recovery_id = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recovery_id, &sig);
  return {std::string(reinterpret_cast<const char*>(compact), 64), recovery_id};
}

std::string address_of_pubkey(const secp256k1_pubkey& pub) {
  unsigned char serialized[65];
  size_t length = sizeof serialized;
  secp256k1_ec_pubkey_serialize(context(), serialized, &length, &pub, SECP256K1_EC_UNCOMPRESSED);
  Hash32 h = keccak256(std::string_view(reinterpret_cast<const char*>(serialized) + 1, 64));
  return std::string(reinterpret_cast<const char*>(h.data()) + 12, 20);
}

Hash32 personal_message_digest(std::string_view message) {
  return keccak256("\x19" "Ethereum Signed Message:\n" + std::to_string(message.size()) + std::string(message));
}

}  // namespace

std::string rlp_bytes(std::string_view bytes) {
  if (bytes.size() == 1 && static_cast<uint8_t>(bytes[0]) < 0x80) return std::string(bytes);
  return length_prefix(bytes.size(), 0x80, 0xb7) + std::string(bytes);
}

std::string rlp_uint(uint64_t value) {
  std::string be;
  for (; value > 0; value >>= 8) be.insert(be.begin(), static_cast<char>(value & 0xff));
  return rlp_bytes(be);
}

std::string rlp_list(const std::vector<std::string>& encoded_items) {
  std::string payload;
  for (const auto& item : encoded_items) payload += item;
  return length_prefix(payload.size(), 0xc0, 0xf7) + payload;
}

std::string sign_eip1559(const Eip1559Tx& tx, std::string_view private_key) {
  check_key(private_key);
  if (!tx.to.empty() && tx.to.size() != 20) throw std::invalid_argument("a transaction's `to` is 20 bytes");
  std::vector<std::string> fields = {rlp_uint(tx.chain_id), rlp_uint(tx.nonce), rlp_uint(tx.max_priority_fee_per_gas),
                                     rlp_uint(tx.max_fee_per_gas), rlp_uint(tx.gas_limit), rlp_bytes(tx.to),
                                     rlp_uint(tx.value), rlp_bytes(tx.data), rlp_list({})};  // no access list
  auto [signature, recovery_id] = sign_digest(keccak256("\x02" + rlp_list(fields)), private_key);
  std::string_view rs = signature;
  fields.push_back(rlp_uint(static_cast<uint64_t>(recovery_id)));  // y parity
  fields.push_back(rlp_bytes(strip_leading_zeros(rs.substr(0, 32))));
  fields.push_back(rlp_bytes(strip_leading_zeros(rs.substr(32))));
  return "\x02" + rlp_list(fields);
}

std::string transaction_hash(std::string_view raw) {
  Hash32 h = keccak256(raw);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string address_of(std::string_view private_key) {
  check_key(private_key);
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_create(context(), &pub, reinterpret_cast<const unsigned char*>(private_key.data())))
    throw std::invalid_argument("not a secp256k1 private key");
  return address_of_pubkey(pub);
}

std::string sign_message(std::string_view message, std::string_view private_key) {
  auto [signature, recovery_id] = sign_digest(personal_message_digest(message), private_key);
  return signature + static_cast<char>(27 + recovery_id);
}

std::string recover_message_signer(std::string_view message, std::string_view signature) {
  if (signature.size() != 65) throw std::invalid_argument("a signature is 65 bytes (r, s, v)");
  int v = static_cast<uint8_t>(signature[64]);
  if (v >= 27) v -= 27;
  secp256k1_ecdsa_recoverable_signature sig;
  if (v > 1 || !secp256k1_ecdsa_recoverable_signature_parse_compact(
                   context(), &sig, reinterpret_cast<const unsigned char*>(signature.data()), v))
    throw std::invalid_argument("not a valid secp256k1 signature");
  Hash32 digest = personal_message_digest(message);
  secp256k1_pubkey pub;
  if (!secp256k1_ecdsa_recover(context(), &pub, &sig, digest.data()))
    throw std::invalid_argument("the signature does not recover a key");
  return address_of_pubkey(pub);
}

}  // namespace og::evm
