// EIP-1559 transactions signed in C++, byte for byte as Foundry's `cast mktx` signs them.
#include <gtest/gtest.h>

#include "chain/evm_tx.hpp"
#include "core/hex.hpp"

namespace og::evm {
namespace {

std::string bytes(std::string_view hex) { return from_hex(hex.substr(hex.starts_with("0x") ? 2 : 0)).value(); }

// anvil's first well-known test account (never a real key).
const std::string kKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

TEST(Rlp, EncodesItemsAsTheYellowPaperSays) {
  EXPECT_EQ(to_hex(rlp_bytes("dog")), "83646f67");
  EXPECT_EQ(to_hex(rlp_bytes("")), "80");
  EXPECT_EQ(to_hex(rlp_bytes(std::string(1, '\x0f'))), "0f");
  EXPECT_EQ(to_hex(rlp_uint(0)), "80");
  EXPECT_EQ(to_hex(rlp_uint(1024)), "820400");
  EXPECT_EQ(to_hex(rlp_list({rlp_bytes("cat"), rlp_bytes("dog")})), "c88363617483646f67");
  EXPECT_EQ(to_hex(rlp_bytes(std::string(56, 'a'))).substr(0, 4), "b838");  // long string
}

TEST(EvmTx, AddressOfAKey) {
  EXPECT_EQ(to_hex(address_of(bytes(kKey))), "f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  EXPECT_THROW(address_of(std::string(32, '\0')), std::invalid_argument);
}

TEST(EvmTx, SignsAnEip1559TransactionAsCastDoes) {
  // cast mktx --private-key <kKey> --chain 31337 --nonce 7 --gas-limit 100000
  //   --gas-price 2000000000 --priority-gas-price 1000000000 --value 5
  //   0x70997970C51812dc3A010C7d01b50e0d17dc79C8 "transfer(address,uint256)"
  //   0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 1000000
  Eip1559Tx tx;
  tx.chain_id = 31337;
  tx.nonce = 7;
  tx.max_priority_fee_per_gas = 1000000000;
  tx.max_fee_per_gas = 2000000000;
  tx.gas_limit = 100000;
  tx.to = bytes("70997970c51812dc3a010c7d01b50e0d17dc79c8");
  tx.value = 5;
  tx.data = bytes("a9059cbb0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc"
                  "00000000000000000000000000000000000000000000000000000000000f4240");
  EXPECT_EQ(to_hex(sign_eip1559(tx, bytes(kKey))),
            "02f8b2827a6907843b9aca008477359400830186a09470997970c51812dc3a010c7d01b50e0d17dc79c805b844a9059cbb"
            "0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc00000000000000000000000000000000000000"
            "000000000000000000000f4240c001a01bb6dcd3e4fc095161d338579a771a3086760e0ef906c9965d40403a66346915a00ef6"
            "cc4fb6eae47537fa519935894b5a9de2667ca267bdbc0b89518f395eb5ab");
}

// EIP-191 personal messages, checked against Foundry's
//   cast wallet sign --private-key 0xac09…ff80 "OpenGrid link test"
TEST(EvmTx, PersonalMessagesSignAsWalletsDoAndRecoverTheirSigner) {
  std::string signature = sign_message("OpenGrid link test", bytes(kKey));
  EXPECT_EQ(to_hex(signature),
            "8224b353560bdccec642f6e43c6e4be47c7939ddd2513b75439bcc23754624b9532e54cfa13aae918fd9e1a62e2bcd22a1203bc9383e"
            "9422c1c6f5e822c2eb0f1c");
  EXPECT_EQ(recover_message_signer("OpenGrid link test", signature), address_of(bytes(kKey)));
  EXPECT_NE(recover_message_signer("OpenGrid link test!", signature), address_of(bytes(kKey)));
  std::string broken = signature;
  broken[64] = 40;  // no such recovery id
  EXPECT_THROW(recover_message_signer("OpenGrid link test", broken), std::invalid_argument);
  EXPECT_THROW(recover_message_signer("OpenGrid link test", signature.substr(1)), std::invalid_argument);
}

}  // namespace
}  // namespace og::evm
