// Image and data references as requesters write them (core/oci_reference).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/oci_reference.hpp"

namespace og {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'b');

TEST(OciReference, DockersAndPyxissSpellings) {
  auto r = parse_oci_reference("127.0.0.1:5000/og/base:1");
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "og/base");
  EXPECT_EQ(r.tag, "1");
  EXPECT_TRUE(r.digest.empty());
  auto pyxis = parse_oci_reference("nvcr.io#nvidia/pytorch:21.12-py3");
  EXPECT_EQ(pyxis.registry, "nvcr.io");
  EXPECT_EQ(pyxis.repository, "nvidia/pytorch");
  EXPECT_EQ(pyxis.tag, "21.12-py3");
  EXPECT_EQ(parse_oci_reference("localhost/base").tag, "latest");
  auto pinned = parse_oci_reference("reg.example.org/a/b:7@" + kDigest);
  EXPECT_EQ(pinned.pinned(), "reg.example.org/a/b@" + kDigest);
  EXPECT_EQ(pinned.display(), "reg.example.org/a/b:7@" + kDigest);
}

TEST(OciReference, ABadOneSaysWhatIsWrong) {
  auto refused = [](const std::string& text, const std::string& why) {
    try {
      parse_oci_reference(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused("ubuntu:22.04", "no registry is named");
  refused("library/ubuntu:22.04", "is not a registry");
  refused("127.0.0.1:5000/Base:1", "repository");
  refused("127.0.0.1:5000/base:-x", "tag");
  refused("127.0.0.1:5000/base@sha256:abc", "digest");
  refused("127.0.0.1:5000/../x:1", "repository");
}

}  // namespace
}  // namespace og
