// The Solidity ABI for the calls OpenGrid makes: selectors and 32-byte words, static
// arguments and dynamic arrays (head/tail), and results read back word by word.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace og::evm::abi {

std::string selector(std::string_view signature);  // first 4 bytes of keccak256
std::string uint_word(uint64_t value);             // 32 bytes, big-endian
std::string address_word(std::string_view address);  // 20 bytes, left-padded

// One argument of a call: a static word, or a dynamic array of words.
struct Arg {
  std::string word;                // for a static argument
  std::vector<std::string> array;  // for a dynamic uint/address array (each a word)
  bool dynamic = false;
};
Arg word(std::string w);
Arg words(std::vector<std::string> ws);

// selector || head || tail, as a contract call's data.
std::string encode_call(std::string_view signature, const std::vector<Arg>& args);

// The index-th 32-byte word of returned data, as an unsigned 64-bit number (throws
// std::out_of_range when short, std::overflow_error when it does not fit).
uint64_t read_uint(std::string_view data, size_t index);
std::string read_address(std::string_view data, size_t index);  // 20 bytes

}  // namespace og::evm::abi
