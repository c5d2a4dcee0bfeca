// Ethereum transactions signed here: RLP encoding, EIP-1559 (type 2) transactions signed
// with libsecp256k1's recoverable ECDSA (RFC 6979 nonces), and the address of a key.
// Byte strings are raw bytes (an address is 20 of them), not hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace og::evm {

// RLP: a byte string item, an unsigned integer (big-endian, no leading zeros), a list of
// already-encoded items.
std::string rlp_bytes(std::string_view bytes);
std::string rlp_uint(uint64_t value);
std::string rlp_list(const std::vector<std::string>& encoded_items);

struct Eip1559Tx {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  uint64_t max_priority_fee_per_gas = 0;  // wei
  uint64_t max_fee_per_gas = 0;           // wei
  uint64_t gas_limit = 0;
  std::string to;     // 20 bytes; empty to create a contract
  uint64_t value = 0; // wei
  std::string data;
};

// The signed transaction as sent with eth_sendRawTransaction: 0x02 || rlp([...]).
// Throws std::invalid_argument for a malformed key or address.
std::string sign_eip1559(const Eip1559Tx& tx, std::string_view private_key);
// keccak256 of the raw signed transaction: the transaction's hash.
std::string transaction_hash(std::string_view raw);

// The 20-byte address of a 32-byte secp256k1 private key.
std::string address_of(std::string_view private_key);

// EIP-191 personal messages ("\x19Ethereum Signed Message:\n" + length + message), as
// wallets sign them: 65 bytes r || s || v (27 or 28). Used to prove that a chain address
// belongs to an OpenGrid user.
std::string sign_message(std::string_view message, std::string_view private_key);
// The address whose key signed `message`; throws std::invalid_argument for a malformed signature.
std::string recover_message_signer(std::string_view message, std::string_view signature);

}  // namespace og::evm
