// libFuzzer target: the bundle unpacker, which takes archives from strangers. A bad
// archive must come back as og::BundleError; whatever it unpacked (before or without an
// error) stays inside the target directory: no entry, and no link, leads out of it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/bundle.hpp"

namespace fs = std::filesystem;

namespace {

bool inside(const fs::path& root, const fs::path& p) {
  auto rel = p.lexically_normal().lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A directory of its own for each input, removed after it (libFuzzer does not always
  // run exit handlers).
  char templ[] = "/tmp/og-fuzz-bundle-XXXXXX";
  if (!mkdtemp(templ)) std::abort();
  fs::path target = templ;
  try {
    og::unpack_bundle(std::string_view(reinterpret_cast<const char*>(data), size), target.string(),
                      og::BundleLimits{1u << 20, 64});
  } catch (const og::BundleError&) {
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(target, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (!inside(target, p)) __builtin_trap();
    if (fs::is_symlink(it->symlink_status())) {
      fs::path dest = fs::read_symlink(p);
      if (!inside(target, dest.is_absolute() ? dest : p.parent_path() / dest)) __builtin_trap();
    }
    auto perms = it->symlink_status().permissions();
    if ((perms & (fs::perms::set_uid | fs::perms::set_gid)) != fs::perms::none) __builtin_trap();
  }
  fs::remove_all(target, ec);
  return 0;
}
