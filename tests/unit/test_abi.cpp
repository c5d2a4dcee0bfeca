// ABI encoding of the escrow's calls, byte for byte as Foundry's `cast calldata` encodes them.
#include <gtest/gtest.h>

#include "chain/abi.hpp"
#include "chain/job_escrow.hpp"
#include "core/hex.hpp"

namespace og::evm {
namespace {

std::string bytes(std::string_view hex) { return from_hex(hex).value(); }

TEST(Abi, StaticArguments) {
  // cast calldata "lockJob(uint64,uint64,uint32)" 7 1000000 1700000000
  EXPECT_EQ(to_hex(abi::encode_call("lockJob(uint64,uint64,uint32)",
                                    {abi::word(abi::uint_word(7)), abi::word(abi::uint_word(1000000)),
                                     abi::word(abi::uint_word(1700000000))})),
            "a7791274"
            "0000000000000000000000000000000000000000000000000000000000000007"
            "00000000000000000000000000000000000000000000000000000000000f4240"
            "000000000000000000000000000000000000000000000000000000006553f100");
}

TEST(Abi, DynamicArraysGoToTheTailBehindOffsets) {
  // cast calldata "settleBatch(address[],address[],uint256[])" "[0xf39f…]" "[0x7099…,0x3c44…]" "[1,2,3]"
  auto a = [](std::string_view hex) { return abi::address_word(bytes(hex)); };
  std::string data = abi::encode_call(
      "settleBatch(address[],address[],uint256[])",
      {abi::words({a("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")}),
       abi::words({a("70997970c51812dc3a010c7d01b50e0d17dc79c8"), a("3c44cdddb6a900fa2b585dd299e03d12fa4293bc")}),
       abi::words({abi::uint_word(1), abi::uint_word(2), abi::uint_word(3)})});
  EXPECT_EQ(to_hex(data),
            "fc4b731c"
            "0000000000000000000000000000000000000000000000000000000000000060"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "0000000000000000000000000000000000000000000000000000000000000100"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
            "0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000003");
}

TEST(Abi, ReadingResults) {
  std::string data = abi::uint_word(42) + abi::address_word(std::string(20, '\x11'));
  EXPECT_EQ(abi::read_uint(data, 0), 42u);
  EXPECT_EQ(abi::read_address(data, 1), std::string(20, '\x11'));
  EXPECT_THROW(abi::read_uint(data, 2), std::out_of_range);
  EXPECT_THROW(abi::read_uint(std::string(1, '\x01') + std::string(31, '\0'), 0), std::overflow_error);
}

TEST(JobEscrowEncoding, ABatchIsIndexTablesAndPackedWordsAsCastEncodesThem) {
  // Job 7 of requester 0 pays payee 0 1,000 and payee 1 2,500 (the id gets the batch bit):
  // cast calldata "settleBatch(address[],address[],uint256[])" "[0xf39f…]" "[0x7099…,0x3c44…]"
  //   "[2417860862601295204188167,65536000,163840001]"   (7|1<<63|2<<80, 0|1000<<16, 1|2500<<16)
  std::string requester = bytes("f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  std::string p0 = bytes("70997970c51812dc3a010c7d01b50e0d17dc79c8"), p1 = bytes("3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
  std::string data = encode_settle_batch({{7, requester, {{p0, 1000}, {p1, 2500}}}});
  EXPECT_EQ(to_hex(data),
            "fc4b731c"
            "0000000000000000000000000000000000000000000000000000000000000060"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "0000000000000000000000000000000000000000000000000000000000000100"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
            "0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "0000000000000000000000000000000000000000000200008000000000000007"
            "0000000000000000000000000000000000000000000000000000000003e80000"
            "0000000000000000000000000000000000000000000000000000000009c40001");
  EXPECT_THROW(encode_settle_batch({{1, "short", {}}}), std::invalid_argument);
  EXPECT_THROW(encode_settle_batch({{kBatchIdFlag | 1, requester, {}}}), std::invalid_argument) << "ids are below 2^63";
}

}  // namespace
}  // namespace og::evm
