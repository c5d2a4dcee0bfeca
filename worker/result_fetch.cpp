#include "worker/result_fetch.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "verify/manifest.hpp"
#include "worker/image_store.hpp"

namespace og {

namespace fs = std::filesystem;

Manifest fetch_job_result(HttpClient& client, uint64_t lease_id, const std::string& name, const std::string& into,
                          uint64_t max_bytes) {
  // What og-schedd refuses (4xx) or sends wrong is the job's to fail with; what it cannot
  // answer now (5xx, no connection) is handed back to run later or elsewhere.
  auto get = [&](const std::string& target, const std::string& what) {
    auto answer = client.request("GET", target, "", 600000);
    if (answer.status >= 500) throw std::runtime_error("og-schedd could not send " + what + " (" + std::to_string(answer.status) + ")");
    if (answer.status != 200)
      throw ImageStoreError(ImageStoreError::Kind::BadImage, "og-schedd refused " + what + " (" + std::to_string(answer.status) +
                                                                 "): " + answer.body.substr(0, 300));
    return std::move(answer.body);
  };
  std::string base = "/og/v1/leases/" + std::to_string(lease_id) + "/data?name=" + url_encode(name);
  Manifest manifest;
  try {
    // manifest_from_json keeps every path relative and inside the directory.
    manifest = manifest_from_json(nlohmann::json::parse(get(base, "the result read as " + name)));
  } catch (const nlohmann::json::exception& e) {
    throw ImageStoreError(ImageStoreError::Kind::BadImage, "the result read as " + name + " has no valid manifest");
  } catch (const ApiError& e) {
    throw ImageStoreError(ImageStoreError::Kind::BadImage, "the result read as " + name + ": " + e.what());
  }
  uint64_t total = 0;
  for (const auto& f : manifest.files) total += f.size;
  if (total > max_bytes)
    throw ImageStoreError(ImageStoreError::Kind::BadImage, "the result read as " + name + " holds " +
                                                               std::to_string(total) + " bytes, more than " +
                                                               std::to_string(max_bytes) + " this worker takes");
  if (!fs::create_directory(into)) throw std::runtime_error(into + " exists already");
  for (const auto& f : manifest.files) {
    std::string body = get(base + "&path=" + url_encode(f.path), f.path + " of the result read as " + name);
    if (body.size() != f.size || sha256_hex(body) != f.sha256)
      throw ImageStoreError(ImageStoreError::Kind::BadImage,
                            f.path + " of the result read as " + name + " does not match its digest");
    auto& file = body;
    fs::path path = fs::path(into) / f.path;
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path.string());
    ::chmod(path.c_str(), 0444);
  }
  // Directories readable by the job's own uid, writable by no one: what the jail mounts.
  for (const auto& entry : fs::recursive_directory_iterator(into))
    if (entry.is_directory()) ::chmod(entry.path().c_str(), 0555);
  ::chmod(into.c_str(), 0555);
  return manifest;
}

}  // namespace og
