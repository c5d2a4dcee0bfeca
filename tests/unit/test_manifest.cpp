// Output manifests: walking a job directory, the Merkle root, and strict JSON decoding.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "verify/manifest.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ManifestDirTest : public ::testing::Test {
 protected:
  void write(const std::string& rel, const std::string& content) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
  }
  test::TempDir tmp_{"og-manifest-test"};  // removed after TearDown
  const fs::path dir_ = tmp_.path();
};

std::string leaf_hash(const std::string& path, uint64_t size, const std::string& sha) {
  std::string leaf = path;
  leaf += '\0';
  leaf += std::to_string(size);
  leaf += '\0';
  leaf += sha;
  return sha256_hex(leaf);
}

ManifestEntry entry(const std::string& path, const std::string& content) {
  return {path, content.size(), sha256_hex(content)};
}

json valid_manifest_json() {
  Manifest m;
  m.files = {entry("a.txt", "alpha"), entry("dir/b.txt", "beta")};
  m.root = merkle_root(m.files);
  return to_json(m);
}

void expect_invalid(const json& j, const std::string& what) {
  try {
    manifest_from_json(j);
    ADD_FAILURE() << what << ": expected ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.kind(), Refusal::Invalid) << what;
    EXPECT_EQ(e.code(), "invalid_manifest") << what;
  }
}

TEST_F(ManifestDirTest, WalksNestedFilesSortedWithSizesAndHashes) {
  write("z.txt", "last");
  write("a/b/c.txt", "deep file\n");
  write("a.txt", "");
  write("a/x.bin", std::string("\0\1\2binary", 9));
  Manifest m = compute_manifest(dir_, {});
  ASSERT_EQ(m.files.size(), 4u);
  // Plain byte order: '.' (0x2e) sorts before '/' (0x2f).
  EXPECT_EQ(m.files[0].path, "a.txt");
  EXPECT_EQ(m.files[1].path, "a/b/c.txt");
  EXPECT_EQ(m.files[2].path, "a/x.bin");
  EXPECT_EQ(m.files[3].path, "z.txt");
  EXPECT_EQ(m.files[0].size, 0u);
  EXPECT_EQ(m.files[0].sha256, sha256_hex(""));
  EXPECT_EQ(m.files[1].size, 10u);
  EXPECT_EQ(m.files[1].sha256, sha256_hex("deep file\n"));
  EXPECT_EQ(m.files[2].size, 9u);
  EXPECT_EQ(m.files[2].sha256, sha256_hex(std::string("\0\1\2binary", 9)));
  EXPECT_EQ(m.files[3].sha256, sha256_hex("last"));
  EXPECT_EQ(m.root, merkle_root(m.files));
}

TEST_F(ManifestDirTest, ExcludedPrefixIsSkipped) {
  write(".og/job.sh", "#!/bin/sh\n");
  write(".og/tmp/scratch", "x");
  write(".ogfile", "kept: only the .og/ directory is excluded");
  write("out.txt", "result");
  Manifest m = compute_manifest(dir_, {".og/"});
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(m.files[0].path, ".ogfile");
  EXPECT_EQ(m.files[1].path, "out.txt");
}

TEST_F(ManifestDirTest, SymlinksAreSkipped) {
  write("real.txt", "real");
  write("sub/inner.txt", "inner");
  fs::create_symlink(dir_ / "real.txt", dir_ / "link.txt");
  fs::create_symlink("/etc/hostname", dir_ / "outside");
  fs::create_directory_symlink(dir_ / "sub", dir_ / "sublink");
  Manifest m = compute_manifest(dir_, {});
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(m.files[0].path, "real.txt");
  EXPECT_EQ(m.files[1].path, "sub/inner.txt");
}

TEST_F(ManifestDirTest, EmptyDirectoryHasEmptyRoot) {
  Manifest m = compute_manifest(dir_, {});
  EXPECT_TRUE(m.files.empty());
  EXPECT_EQ(m.root, sha256_hex(""));
}

TEST_F(ManifestDirTest, SameContentGivesSameRootAcrossDirectories) {
  write("x/1.txt", "one");
  write("y.txt", "two");
  fs::path other = dir_ / ".og" / "copy";
  fs::create_directories(other / "x");
  { std::ofstream(other / "x" / "1.txt") << "one"; }
  { std::ofstream(other / "y.txt") << "two"; }
  Manifest first = compute_manifest(dir_, {".og/"});
  Manifest second = compute_manifest(other, {});
  ASSERT_EQ(first.files.size(), 2u);
  EXPECT_EQ(first.root, second.root);
  { std::ofstream(other / "y.txt") << "twO"; }
  EXPECT_NE(compute_manifest(other, {}).root, first.root);
}

TEST(MerkleRootTest, EmptyIsHashOfEmptyString) {
  EXPECT_EQ(merkle_root({}), sha256_hex(""));
  EXPECT_EQ(merkle_root({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleRootTest, OneFileIsItsLeafHash) {
  auto e = entry("out.txt", "hello");
  EXPECT_EQ(merkle_root({e}), leaf_hash("out.txt", 5, sha256_hex("hello")));
}

TEST(MerkleRootTest, PairsHashUpwardAndOddNodeIsCarried) {
  auto a = entry("a", "1"), b = entry("b", "22"), c = entry("c", "333");
  std::string la = leaf_hash("a", 1, a.sha256), lb = leaf_hash("b", 2, b.sha256),
              lc = leaf_hash("c", 3, c.sha256);
  EXPECT_EQ(merkle_root({a, b}), sha256_hex(la + lb));
  EXPECT_EQ(merkle_root({a, b, c}), sha256_hex(sha256_hex(la + lb) + lc));
}

TEST(MerkleRootTest, ChangesWhenAnyPartChanges) {
  std::vector<ManifestEntry> base = {entry("a.txt", "alpha"), entry("b.txt", "beta"),
                                     entry("c.txt", "gamma")};
  std::string root = merkle_root(base);
  auto changed_content = base;
  changed_content[2] = entry("c.txt", "gammA");
  EXPECT_NE(merkle_root(changed_content), root);
  auto changed_path = base;
  changed_path[1].path = "B.txt";
  EXPECT_NE(merkle_root(changed_path), root);
  auto changed_size = base;
  changed_size[0].size += 1;
  EXPECT_NE(merkle_root(changed_size), root);
  auto dropped = base;
  dropped.pop_back();
  EXPECT_NE(merkle_root(dropped), root);
  EXPECT_EQ(merkle_root(base), root);  // deterministic
}

TEST(MerkleRootTest, UsesTheOrderItIsGiven) {
  auto a = entry("a", "1"), b = entry("b", "2");
  EXPECT_NE(merkle_root({a, b}), merkle_root({b, a}));
}

TEST(ManifestJsonTest, RoundTrip) {
  Manifest m;
  m.files = {entry("a.txt", "alpha"), entry("dir/b.txt", "beta"), entry("empty", "")};
  m.root = merkle_root(m.files);
  json j = to_json(m);
  EXPECT_EQ(j["version"], Manifest::kVersion);
  EXPECT_EQ(j["root"], m.root);
  ASSERT_EQ(j["files"].size(), 3u);
  EXPECT_EQ(j["files"][1]["path"], "dir/b.txt");
  EXPECT_EQ(j["files"][1]["size"], 4u);
  Manifest back = manifest_from_json(json::parse(j.dump()));
  ASSERT_EQ(back.files.size(), m.files.size());
  for (size_t i = 0; i < m.files.size(); ++i) {
    EXPECT_EQ(back.files[i].path, m.files[i].path);
    EXPECT_EQ(back.files[i].size, m.files[i].size);
    EXPECT_EQ(back.files[i].sha256, m.files[i].sha256);
  }
  EXPECT_EQ(back.root, m.root);
}

TEST(ManifestJsonTest, EmptyManifestRoundTrips) {
  Manifest m;
  m.root = merkle_root({});
  EXPECT_EQ(manifest_from_json(to_json(m)).root, sha256_hex(""));
}

TEST(ManifestJsonTest, RejectsWrongShapeAndVersion) {
  expect_invalid(json::array(), "not an object");
  json j = valid_manifest_json();
  j["version"] = 2;
  expect_invalid(j, "version 2");
  j = valid_manifest_json();
  j.erase("version");
  expect_invalid(j, "no version");
  j = valid_manifest_json();
  j["files"] = "a.txt";
  expect_invalid(j, "files not an array");
  j = valid_manifest_json();
  j["files"][0]["size"] = -1;
  expect_invalid(j, "negative size");
  j = valid_manifest_json();
  j["files"][0].erase("sha256");
  expect_invalid(j, "no sha256");
  // Found by fuzzing (tests/fuzz): fields of the wrong type were a 500, not a 400.
  j = valid_manifest_json();
  j["version"] = json::array();
  expect_invalid(j, "version not a number");
  j = valid_manifest_json();
  j["version"] = "1";
  expect_invalid(j, "version a string");
  j = valid_manifest_json();
  j["root"] = 7;
  expect_invalid(j, "root not a string");
}

TEST(ManifestJsonTest, RejectsUnsortedAndDuplicatePaths) {
  Manifest m;
  m.files = {entry("b.txt", "b"), entry("a.txt", "a")};
  m.root = merkle_root(m.files);  // consistent root, so only the order is wrong
  expect_invalid(to_json(m), "unsorted");
  m.files = {entry("a.txt", "a"), entry("a.txt", "a")};
  m.root = merkle_root(m.files);
  expect_invalid(to_json(m), "duplicate");
}

TEST(ManifestJsonTest, RejectsPathsLeavingTheJobDirectory) {
  for (std::string bad : {"/etc/passwd", "../secret", "a/../../b", ""}) {
    Manifest m;
    m.files = {entry(bad, "x")};
    m.root = merkle_root(m.files);
    expect_invalid(to_json(m), "path \"" + bad + "\"");
  }
}

TEST(ManifestJsonTest, RejectsMalformedSha256) {
  auto e = entry("a.txt", "alpha");
  std::vector<std::string> bad = {e.sha256.substr(1), e.sha256 + "0", "",
                                  std::string(64, 'g')};
  std::string upper = e.sha256;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, e.sha256);
  bad.push_back(upper);
  for (const auto& sha : bad) {
    Manifest m;
    m.files = {{"a.txt", 5, sha}};
    m.root = merkle_root(m.files);
    expect_invalid(to_json(m), "sha \"" + sha + "\"");
  }
}

TEST(ManifestJsonTest, RejectsWrongRoot) {
  json j = valid_manifest_json();
  j["root"] = sha256_hex("something else");
  expect_invalid(j, "wrong root");
  j = valid_manifest_json();
  j.erase("root");
  expect_invalid(j, "no root");
  j = valid_manifest_json();
  j["files"][0]["size"] = 6;  // the root no longer matches the files
  expect_invalid(j, "size changed");
}

// Regression (fixed): manifest_from_json refuses any path containing "..", so a
// job output named e.g. "log..txt" yields a manifest that compute_manifest produces but
// the scheduler rejects with 400 invalid_manifest.
TEST_F(ManifestDirTest, DotDotInsideAFileNameIsAccepted) {
  write("results..csv", "1,2\n");
  Manifest m = compute_manifest(dir_, {});
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_NO_THROW(manifest_from_json(to_json(m)));
}

}  // namespace
}  // namespace og
