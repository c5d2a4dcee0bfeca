// Test helpers for attacks through the API: a job body, an error's code, and a provider
// that runs nothing (it registers partitions, takes leases and reports what it likes).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http_client.hpp"
#include "core/sha256.hpp"
#include "tests/integration/mesh.hpp"
#include "verify/manifest.hpp"

namespace og::test {

inline std::string error_code(const HttpResult& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_discarded() ? "" : j["error"].value("code", "");
}

inline nlohmann::json job_body(const std::string& script, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json job = {{"name", "t"}, {"script", script}, {"script_name", "t.sh"}, {"time_limit_s", 600}};
  for (const auto& [k, v] : extra.items()) job[k] = v;
  return {{"job", job}};
}

// A provider that runs nothing: registers partitions with the API, takes leases and
// reports what it likes.
struct FakeProvider {
  HttpClient client;
  FakeProvider(Mesh& mesh, const std::string& name) : client(mesh.url(), mesh.token(name, "worker")) {}
  HttpResult offer(const std::string& partition, int64_t price_micros, const std::string& op = "") {
    nlohmann::json body = {{"cpus", 4}, {"memory_mb", 4096}, {"price_micros", price_micros}};
    if (!op.empty()) body["operator"] = op;
    return client.request("PUT", "/og/v1/partitions/" + partition, body.dump());
  }
  nlohmann::json poll(const std::string& partition, int wait_ms = 3000) {
    return client.call("POST", "/og/v1/partitions/" + partition + "/poll",
                       {{"running", nlohmann::json::array()}, {"wait_ms", wait_ms}})["leases"];
  }
  // Reports `content` as answer.txt, uploading it first unless told not to.
  HttpResult report(uint64_t lease, const std::string& content, bool upload = true) {
    std::string sha = sha256_hex(content);
    if (upload)
      client.request("PUT", "/og/v1/artifacts/" + sha + "?lease=" + std::to_string(lease), content, 30000,
                     "application/octet-stream");
    std::vector<ManifestEntry> files = {{"answer.txt", content.size(), sha}};
    nlohmann::json report = {{"outcome", "COMPLETED"}, {"exit_code", 0},
                   {"manifest", to_json(Manifest{files, merkle_root(files)})}};
    return client.request("POST", "/og/v1/leases/" + std::to_string(lease) + "/complete", report.dump());
  }
};

}  // namespace og::test
