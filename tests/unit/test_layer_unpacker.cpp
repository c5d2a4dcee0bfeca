// Image layers from strangers: applied in order, whiteouts honoured, and every way out of
// the image's root refused (worker/layer_unpacker).
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "worker/layer_unpacker.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string path;
  mode_t type = AE_IFREG;
  mode_t mode = 0644;
  std::string content = "";
  std::string link = "";      // symlink target
  std::string hardlink = "";  // hard link target
};

class LayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("og-layer-test-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root");
    fs::create_directories(base_ / "outside");
    std::ofstream(base_ / "outside" / "victim") << "keep me";
    root_ = fs::canonical(base_ / "root").string();
  }
  void TearDown() override { fs::remove_all(base_); }

  // Writes a gzip (or zstd) tar layer of the entries; returns its path.
  std::string layer(const std::vector<Entry>& entries, bool zstd = false) {
    std::string path = (base_ / ("layer" + std::to_string(count_++) + ".tar")).string();
    archive* a = archive_write_new();
    if (zstd) archive_write_add_filter_zstd(a);
    else archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
    for (const auto& e : entries) {
      archive_entry* entry = archive_entry_new();
      archive_entry_set_pathname(entry, e.path.c_str());
      archive_entry_set_filetype(entry, e.type);
      archive_entry_set_perm(entry, e.mode);
      if (!e.link.empty()) archive_entry_set_symlink(entry, e.link.c_str());
      if (!e.hardlink.empty()) archive_entry_set_hardlink(entry, e.hardlink.c_str());
      if (e.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
      archive_entry_set_size(entry, e.type == AE_IFREG && e.hardlink.empty() ? e.content.size() : 0);
      archive_write_header(a, entry);
      if (!e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
      archive_entry_free(entry);
    }
    archive_write_close(a);
    archive_write_free(a);
    return path;
  }

  bool exists(const std::string& relative) const {
    struct stat st {};
    return ::lstat((root_ + "/" + relative).c_str(), &st) == 0;
  }

  void expect_refused(const std::vector<Entry>& entries, const std::string& why) {
    try {
      apply_layer(layer(entries), root_);
      ADD_FAILURE() << "a layer was applied that should have been refused: " << why;
    } catch (const BadLayer& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
    std::ifstream victim(base_ / "outside" / "victim");
    std::string kept((std::istreambuf_iterator<char>(victim)), {});
    EXPECT_EQ(kept, "keep me") << "a file outside the root was touched";
  }

  fs::path base_;
  std::string root_;
  int count_ = 0;
};

TEST_F(LayerTest, LayersStackAndWhiteoutsHideWhatLowerLayersPut) {
  apply_layer(layer({{"/", AE_IFDIR, 0755}, {"etc", AE_IFDIR, 0755}, {"etc/a", AE_IFREG, 0644, "A"}, {"etc/b", AE_IFREG, 0644, "B"},
                     {"d", AE_IFDIR, 0755}, {"d/x", AE_IFREG, 0644, "X"}, {"bin", AE_IFLNK, 0777, "", "usr/bin"}}),
              root_);
  EXPECT_TRUE(exists("etc/a") && exists("d/x") && fs::is_symlink(root_ + "/bin"));
  uint64_t bytes = apply_layer(layer({{"etc/.wh.a", AE_IFREG}, {"d/.wh..wh..opq", AE_IFREG}, {"d/y", AE_IFREG, 0644, "YY"},
                                      {"etc/b", AE_IFREG, 0600, "new B"}},
                                     /*zstd=*/true),
                               root_);
  EXPECT_EQ(bytes, 7u);
  EXPECT_FALSE(exists("etc/a"));
  EXPECT_FALSE(exists("etc/.wh.a"));
  EXPECT_TRUE(exists("etc/b"));
  EXPECT_FALSE(exists("d/x")) << "an opaque directory hides the lower layer's files";
  EXPECT_TRUE(exists("d/y")) << "but keeps its own layer's";
  std::ifstream b(root_ + "/etc/b");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(b)), {}), "new B");
}

TEST_F(LayerTest, SetuidBitsAndHardLinksWithinTheLayer) {
  apply_layer(layer({{"su", AE_IFREG, 04755, "x"}, {"sg", AE_IFREG, 02755, "y"}, {"same", AE_IFREG, 0644, "", "", "su"}}),
              root_);
  struct stat st {};
  ASSERT_EQ(::stat((root_ + "/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "setuid is stripped";
  ASSERT_EQ(::stat((root_ + "/sg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "setgid is stripped";
  EXPECT_TRUE(exists("same"));
}

TEST_F(LayerTest, EveryWayOutOfTheRootIsRefused) {
  expect_refused({{"/etc/passwd", AE_IFREG, 0644, "x"}}, "absolute path");
  expect_refused({{"a/../../outside/victim", AE_IFREG, 0644, "x"}}, "\"..\"");
  expect_refused({{"dev/mem", AE_IFCHR, 0600}}, "device node");
  apply_layer(layer({{"lower", AE_IFREG, 0644, "l"}}), root_);
  expect_refused({{"copy", AE_IFREG, 0644, "", "", "lower"}}, "did not create");
  std::string outside = (base_ / "outside").string();
  expect_refused({{"out", AE_IFLNK, 0777, "", outside}, {"out/victim", AE_IFREG, 0644, "overwritten"}}, "symlink");
  expect_refused({{"out2", AE_IFLNK, 0777, "", outside}, {"out2/.wh.victim", AE_IFREG}}, "leads through a link");
  expect_refused({{".wh...", AE_IFREG}}, "names no file");
}

}  // namespace
}  // namespace og
