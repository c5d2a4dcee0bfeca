// Keccak-256 as Ethereum uses it (the original Keccak padding, not SHA3-256's — OpenSSL
// 3.0 has only the latter): addresses, function selectors, event topics, transaction hashes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace og::evm {

using Hash32 = std::array<uint8_t, 32>;

Hash32 keccak256(std::string_view data);
std::string keccak256_hex(std::string_view data);  // 64 lower-case hex digits, no 0x

}  // namespace og::evm
