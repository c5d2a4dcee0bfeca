// SHA-256 through OpenSSL (uses SHA-NI where the CPU has it).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace og {

std::string sha256_hex(std::string_view data);
// Streams the file; throws std::runtime_error naming the path when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);
// Lower-case hex only (how digests and keys travel).
bool is_lower_hex(std::string_view text);
bool is_sha256_hex(std::string_view text);  // 64 lower-case hex digits
// A random 256-bit secret as 64 hex characters (from OpenSSL's CSPRNG).
std::string random_token_hex();

}  // namespace og
