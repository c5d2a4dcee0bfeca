#include "chain/abi.hpp"

#include <stdexcept>

#include "chain/keccak.hpp"

namespace og::evm::abi {

std::string selector(std::string_view signature) {
  Hash32 h = keccak256(signature);
  return std::string(reinterpret_cast<const char*>(h.data()), 4);
}

std::string uint_word(uint64_t value) {
  std::string w(32, '\0');
  for (int i = 31; i >= 24; --i, value >>= 8) w[static_cast<size_t>(i)] = static_cast<char>(value & 0xff);
  return w;
}

std::string address_word(std::string_view address) {
  if (address.size() != 20) throw std::invalid_argument("an address is 20 bytes");
  return std::string(12, '\0') + std::string(address);
}

Arg word(std::string w) { return Arg{std::move(w), {}, false}; }
Arg words(std::vector<std::string> ws) { return Arg{"", std::move(ws), true}; }

std::string encode_call(std::string_view signature, const std::vector<Arg>& args) {
  std::string head, tail;
  const uint64_t head_size = 32 * args.size();
  for (const auto& a : args) {
    if (!a.dynamic) {
      head += a.word;
      continue;
    }
    head += uint_word(head_size + tail.size());  // offset of its tail part
    tail += uint_word(a.array.size());
    for (const auto& w : a.array) tail += w;
  }
  return selector(signature) + head + tail;
}

uint64_t read_uint(std::string_view data, size_t index) {
  if (data.size() < 32 * (index + 1)) throw std::out_of_range("the call returned too little data");
  std::string_view w = data.substr(32 * index, 32);
  if (w.substr(0, 24).find_first_not_of('\0') != std::string_view::npos)
    throw std::overflow_error("a returned number does not fit 64 bits");
  uint64_t v = 0;
  for (size_t i = 24; i < 32; ++i) v = (v << 8) | static_cast<uint8_t>(w[i]);
  return v;
}

std::string read_address(std::string_view data, size_t index) {
  if (data.size() < 32 * (index + 1)) throw std::out_of_range("the call returned too little data");
  return std::string(data.substr(32 * index + 12, 20));
}

}  // namespace og::evm::abi
