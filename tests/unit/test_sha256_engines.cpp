// SHA-256 has two engines (core/sha256.hpp): libsodium, which the quick commands use, and
// OpenSSL, which the programs that hash gigabytes choose. They must never disagree.
#include <gtest/gtest.h>

#include <string>

#include "core/sha256.hpp"
#include "core/sha256_engine.hpp"
#include "core/sha256_openssl.hpp"

namespace og {
namespace {

struct Digests {
  std::string empty, abc, million_a, pieces;
};

Digests digests() {
  Sha256 streamed;
  for (int i = 0; i < 1000; ++i) streamed.update(std::string(997, static_cast<char>('a' + i % 26)));
  return {sha256_hex(""), sha256_hex("abc"), sha256_hex(std::string(1'000'000, 'a')), streamed.hex()};
}

TEST(Sha256Engines, LibsodiumAndOpensslGiveTheSameDigests) {
  Digests sodium = digests();  // the default engine
  // FIPS 180-2's examples.
  EXPECT_EQ(sodium.empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sodium.abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sodium.million_a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  use_openssl_sha256();
  Digests openssl = digests();
  EXPECT_EQ(openssl.empty, sodium.empty);
  EXPECT_EQ(openssl.abc, sodium.abc);
  EXPECT_EQ(openssl.million_a, sodium.million_a);
  EXPECT_EQ(openssl.pieces, sodium.pieces);
  EXPECT_EQ(random_token_hex().size(), 64u);
  EXPECT_NE(random_token_hex(), random_token_hex());
}

}  // namespace
}  // namespace og
