#include "verify/manifest.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace og {

namespace fs = std::filesystem;

std::string merkle_root(const std::vector<ManifestEntry>& files) {
  if (files.empty()) return sha256_hex("");
  std::vector<std::string> level;
  level.reserve(files.size());
  for (const auto& f : files) {
    std::string leaf = f.path;
    leaf += '\0';
    leaf += std::to_string(f.size);
    leaf += '\0';
    leaf += f.sha256;
    level.push_back(sha256_hex(leaf));
  }
  while (level.size() > 1) {
    std::vector<std::string> next;
    for (size_t i = 0; i < level.size(); i += 2)
      next.push_back(i + 1 < level.size() ? sha256_hex(level[i] + level[i + 1]) : level[i]);
    level = std::move(next);
  }
  return level.front();
}

Manifest compute_manifest(const fs::path& dir, const std::vector<std::string>& excluded_prefixes,
                          uint64_t max_total_bytes) {
  Manifest m;
  std::vector<fs::path> paths;
  uint64_t total = 0;
  // Paths under dir are dir + "/" + rel; stripping the prefix avoids fs::relative, which
  // resolves every component with readlink.
  const size_t prefix = dir.generic_string().size() + (dir.generic_string().ends_with('/') ? 0 : 1);
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_symlink()) continue;
    bool is_dir = it->is_directory();
    std::string rel = it->path().generic_string().substr(prefix) + (is_dir ? "/" : "");
    bool excluded = std::any_of(excluded_prefixes.begin(), excluded_prefixes.end(),
                                [&](const std::string& p) { return rel.rfind(p, 0) == 0; });
    if (excluded) {
      if (is_dir) it.disable_recursion_pending();  // do not walk what is left out
      continue;
    }
    if (is_dir || !it->is_regular_file()) continue;
    uint64_t size = static_cast<uint64_t>(it->file_size());
    total += size;
    if (total > max_total_bytes)
      throw ManifestTooLarge("the outputs exceed " + std::to_string(max_total_bytes) + " bytes");
    m.files.push_back({rel, size, ""});
    paths.push_back(it->path());
  }
  // Hashed only once the sizes are known to be acceptable.
  for (size_t i = 0; i < paths.size(); ++i) m.files[i].sha256 = sha256_file_hex(paths[i]);
  std::sort(m.files.begin(), m.files.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  m.root = merkle_root(m.files);
  return m;
}

nlohmann::json to_json(const Manifest& manifest) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : manifest.files)
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  return {{"version", Manifest::kVersion}, {"files", files}, {"root", manifest.root}};
}

Manifest manifest_from_json(const nlohmann::json& j) {
  auto bad = [](const std::string& why) {
    return ApiError(Refusal::Invalid, "invalid_manifest", "manifest: " + why);
  };
  if (!j.is_object()) throw bad("must be a JSON object");
  // Types checked before values: json::value() throws on a wrong type (found by fuzzing).
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || version->get<int64_t>() != Manifest::kVersion)
    throw bad("unsupported version (expected " + std::to_string(Manifest::kVersion) + ")");
  if (!j.contains("files") || !j["files"].is_array()) throw bad("\"files\" must be an array");
  Manifest m;
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("size") ||
        !f["size"].is_number_unsigned() || !f.contains("sha256") || !f["sha256"].is_string())
      throw bad("each file needs \"path\" (string), \"size\" (unsigned) and \"sha256\" (string)");
    ManifestEntry e{f["path"].get<std::string>(), f["size"].get<uint64_t>(),
                    f["sha256"].get<std::string>()};
    if (e.sha256.size() != 64 || e.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw bad("file " + e.path + " has a malformed sha256");
    bool escapes = false;
    for (const auto& part : std::filesystem::path(e.path)) escapes = escapes || part == "..";
    if (e.path.empty() || e.path[0] == '/' || escapes)
      throw bad("file path \"" + e.path + "\" must be relative and stay inside the job directory");
    if (!m.files.empty() && !(m.files.back().path < e.path))
      throw bad("files must be sorted by path without duplicates");
    m.files.push_back(std::move(e));
  }
  m.root = merkle_root(m.files);
  auto root = j.find("root");
  if (root == j.end() || !root->is_string() || root->get<std::string>() != m.root)
    throw bad("root does not match the files");
  return m;
}

}  // namespace og
