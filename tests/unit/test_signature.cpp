// Ed25519 signatures for job bundles: keys, signing, verification, key files.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/signature.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

TEST(Signature, RFC8032TestVector1) {
  // RFC 8032, section 7.1, TEST 1: the empty message.
  const std::string secret = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  const std::string pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  const std::string sig =
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
  EXPECT_EQ(ed25519_public_of(secret), pub);
  EXPECT_EQ(ed25519_sign(secret, ""), sig);
  EXPECT_TRUE(ed25519_verify(pub, "", sig));
}

TEST(Signature, RFC8032TestVector2) {
  // The same bytes OpenSSL gave before signatures moved to libsodium: keys and signatures
  // made by either verify with the other.
  const std::string seed = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
  EXPECT_EQ(ed25519_public_of(seed), "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const std::string sig =
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
  EXPECT_EQ(ed25519_sign(seed, "\x72"), sig);
  EXPECT_EQ(ed25519_sign(KeyPair{seed, ed25519_public_of(seed)}, "\x72"), sig);
  EXPECT_TRUE(ed25519_verify("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "\x72", sig));
}

TEST(Signature, WrongMessageKeyOrGarbageDoesNotVerify) {
  KeyPair alice = generate_ed25519(), mallory = generate_ed25519();
  std::string sig = ed25519_sign(alice.private_hex, "bundle sha256 + spec");
  EXPECT_TRUE(ed25519_verify(alice.public_hex, "bundle sha256 + spec", sig));
  EXPECT_FALSE(ed25519_verify(alice.public_hex, "bundle sha256 + spec!", sig)) << "tampered";
  EXPECT_FALSE(ed25519_verify(mallory.public_hex, "bundle sha256 + spec", sig)) << "someone else's key";
  EXPECT_FALSE(ed25519_verify(alice.public_hex, "bundle sha256 + spec", sig.substr(2))) << "truncated";
  EXPECT_FALSE(ed25519_verify("zz", "x", sig));
  EXPECT_THROW(ed25519_sign("not hex", "x"), UsageError);
}

TEST(Signature, KeysAreCreatedOnceWithAPrivateFile) {
  test::TempDir dir("og-keys-test");
  std::string where = (dir.path() / "keys").string();
  KeyPair first = load_or_create_key(where);
  KeyPair again = load_or_create_key(where);
  EXPECT_EQ(first.private_hex, again.private_hex);
  EXPECT_EQ(first.public_hex, again.public_hex);
  struct stat st {};
  ASSERT_EQ(stat((where + "/private.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(where.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

}  // namespace
}  // namespace og
