// Keccak-256 against published vectors and values from Foundry's `cast keccak`.
#include <gtest/gtest.h>

#include <string>

#include "chain/keccak.hpp"

namespace og::evm {
namespace {

TEST(Keccak256, KnownVectors) {
  EXPECT_EQ(keccak256_hex(""), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(keccak256_hex("abc"), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // Around the 136-byte block: one byte short, exactly one block, more than one.
  EXPECT_EQ(keccak256_hex(std::string(135, 'c')), "c05b1ba4c8f046ae743faa70cbe7d4f3f75081d584c7f1bf675dd6e7cc1fc7e8");
  EXPECT_EQ(keccak256_hex(std::string(136, 'b')), "121b76d0b19f3c2c7632310b92c54cddd59d16a6b5aafe84696426f10e5733bf");
  EXPECT_EQ(keccak256_hex(std::string(200, 'a')), "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d");
}

TEST(Keccak256, FunctionSelector) {
  EXPECT_EQ(keccak256_hex("transfer(address,uint256)").substr(0, 8), "a9059cbb");
}

}  // namespace
}  // namespace og::evm
