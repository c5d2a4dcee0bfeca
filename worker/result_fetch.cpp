#include "worker/result_fetch.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/sha256.hpp"
#include "verify/manifest.hpp"

namespace og {

namespace fs = std::filesystem;

uint64_t fetch_job_result(HttpClient& client, uint64_t lease_id, const std::string& name, const std::string& into,
                          uint64_t max_bytes) {
  std::string base = "/og/v1/leases/" + std::to_string(lease_id) + "/data?name=" + url_encode(name);
  auto answer = client.request("GET", base, "", 60000);
  if (answer.status != 200)
    throw std::runtime_error("og-schedd has no result for data set " + name + " (" + std::to_string(answer.status) +
                             "): " + answer.body.substr(0, 300));
  // manifest_from_json keeps every path relative and inside the directory.
  Manifest manifest = manifest_from_json(nlohmann::json::parse(answer.body));
  uint64_t total = 0;
  for (const auto& f : manifest.files) total += f.size;
  if (total > max_bytes)
    throw std::runtime_error("the result read as " + name + " holds " + std::to_string(total) + " bytes, more than " +
                             std::to_string(max_bytes));
  if (!fs::create_directory(into)) throw std::runtime_error(into + " exists already");
  for (const auto& f : manifest.files) {
    auto file = client.request("GET", base + "&path=" + url_encode(f.path), "", 600000);
    if (file.status != 200)
      throw std::runtime_error("og-schedd did not send " + f.path + " of data set " + name + " (" +
                               std::to_string(file.status) + ")");
    if (sha256_hex(file.body) != f.sha256)
      throw std::runtime_error(f.path + " of data set " + name + " does not match its digest in the result");
    fs::path path = fs::path(into) / f.path;
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(file.body.data(), static_cast<std::streamsize>(file.body.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path.string());
    ::chmod(path.c_str(), 0444);
  }
  // Directories readable by the job's own uid, writable by no one: what the jail mounts.
  for (const auto& entry : fs::recursive_directory_iterator(into))
    if (entry.is_directory()) ::chmod(entry.path().c_str(), 0555);
  ::chmod(into.c_str(), 0555);
  return total;
}

}  // namespace og
