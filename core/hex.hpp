// Hexadecimal text for bytes (digests, keys, signatures, secrets in JSON).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace og {

std::string to_hex(const unsigned char* data, size_t n);
inline std::string to_hex(std::string_view bytes) {
  return to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}
// Exactly `bytes` bytes from 2 x bytes hex digits (either case); false otherwise.
bool from_hex(std::string_view hex, std::vector<unsigned char>& out, size_t bytes);
// Any even number of hex digits; nullopt for malformed text.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace og
