#include "cli/job_output.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/progress_bar.hpp"
#include "cli/result_placement.hpp"
#include "core/http_status.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/sha256.hpp"
#include "verify/manifest.hpp"

namespace og::cli {

namespace fs = std::filesystem;

namespace {

// The local file's digest; "" for something in the way that is not a file (a directory);
// nullopt where there is nothing, or a link (which writing then refuses, naming it).
std::optional<std::string> local_digest(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return std::nullopt;
  if (!S_ISREG(st.st_mode)) return std::string();
  return sha256_file_hex(path);
}

// A file of a manifest from `files_url` + its path, checked against the manifest's size and
// SHA-256 as it arrives.
std::string fetch_checked(HttpClient& client, const std::string& files_url, const ManifestEntry& f,
                          bool show_progress) {
  std::optional<ProgressBar> bar;
  if (show_progress && f.size >= (1u << 20)) bar.emplace(std::cerr, f.path);
  auto r = client.request("GET", files_url + url_encode_path(f.path), "", 600000, "application/json",
                          bar ? HttpClient::Progress([&](uint64_t got, uint64_t total) { bar->update(got, total); })
                              : HttpClient::Progress());
  if (bar) bar->finish();
  if (r.status != 200)
    throw ApiError(refusal_of_status(static_cast<int>(r.status)), "fetch_failed", "cannot fetch " + f.path + ": " + r.body);
  if (r.body.size() != f.size || sha256_hex(r.body) != f.sha256)
    throw ApiError(Refusal::Upstream, "fetch_corrupt", f.path + " arrived with other contents than its manifest lists");
  return std::move(r.body);
}

}  // namespace

std::vector<UnverifiedOutputs> fetch_unverified(HttpClient& client, uint64_t job_id, const std::string& dir,
                                                const FetchOptions& options) {
  std::string base = "/og/v1/jobs/" + std::to_string(job_id);
  nlohmann::json job = client.call("GET", base)["jobs"][0];
  std::vector<UnverifiedOutputs> fetched;
  for (const auto& lease : job.value("replica_leases", nlohmann::json::array())) {
    if (lease.value("root", std::string()).empty()) continue;  // it reported no outputs
    uint64_t id = lease.value("lease_id", uint64_t{0});
    std::string replica = base + "/replicas/" + std::to_string(id);
    Manifest manifest = manifest_from_json(client.call("GET", replica + "/result"));
    UnverifiedOutputs out{id, lease.value("partition", ""), lease.value("outcome", ""), lease.value("exit_code", 0),
                          dir + "/job" + std::to_string(job_id) + ".unverified/lease-" + std::to_string(id),
                          manifest.files.size()};
    fs::create_directories(out.dir);
    for (const auto& f : manifest.files)
      write_file_beneath(out.dir, f.path, fetch_checked(client, replica + "/files/", f, options.show_progress));
    fetched.push_back(std::move(out));
  }
  return fetched;
}

FetchSummary fetch_result(HttpClient& client, uint64_t job_id, const std::string& dir, const FetchOptions& options) {
  std::string base = "/og/v1/jobs/" + std::to_string(job_id);
  nlohmann::json result = client.call("GET", base + "/result");
  Manifest manifest = manifest_from_json(result);
  const nlohmann::json inputs = result.value("inputs", nlohmann::json::object());
  FetchSummary summary;
  for (const auto& f : manifest.files) {
    ResultFile file{f.path, f.sha256, std::nullopt};
    if (auto in = inputs.find(f.path); in != inputs.end() && in->is_string()) file.input_sha256 = in->get<std::string>();
    std::string target = f.path;
    switch (place_result_file(file, local_digest(fs::path(dir) / f.path), options.force)) {
      case Placement::kUnchangedInput: ++summary.unchanged_inputs; continue;
      case Placement::kAlreadyHere: ++summary.already_here; continue;
      case Placement::kWrite: ++summary.written; break;
      case Placement::kBeside:
        // A name of its own: one taken by a file of other contents (an edited copy of an
        // earlier fetch, a file of the result) is never written over.
        std::optional<std::string> there;
        for (unsigned attempt = 1;; ++attempt) {
          target = beside_name(f.path, job_id, attempt);
          there = local_digest(fs::path(dir) / target);
          if (!there || *there == f.sha256) break;
        }
        if (there) {
          ++summary.already_here;  // fetched before
          continue;
        }
        ++summary.beside;
        std::cerr << options.program << ": kept your " << f.path << ", which differs from job " << job_id
                  << "'s; the job's version is " << target << " (og-fetch --force " << job_id
                  << " puts it in place)\n";
        break;
    }
    std::string body = fetch_checked(client, base + "/files/", f, options.show_progress);
    // Paths come from a provider: checked again here, and nothing written through a link.
    fs::create_directories(dir);
    write_file_beneath(dir, target, body);
  }
  return summary;
}

int wait_and_fetch(HttpClient& client, const std::vector<uint64_t>& ids, const std::string& dir,
                   const FetchOptions& options) {
  int status = 0;
  for (uint64_t id : ids) {
    // Each change of state as it happens (on stderr: stdout stays what sbatch prints).
    nlohmann::json job = client.call("GET", "/og/v1/jobs/" + std::to_string(id))["jobs"][0];
    std::string shown;
    for (;;) {
      std::string state = job.value("job_state", "");
      const bool ongoing = state == "PENDING" || state == "RUNNING" || state == "COMPLETING";
      if (state != shown && ongoing) {
        std::string where = job.value("nodes", std::string());
        std::string why = job.value("state_reason", std::string());
        std::cerr << "og-sbatch: job " << id << " " << state
                  << (state == "RUNNING" && !where.empty() ? " on " + where : "")
                  << (state == "PENDING" && !why.empty() && why != "None" ? " (" + why + ")" : "") << "\n";
        shown = state;
      }
      if (!ongoing) break;
      job = client.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/wait?timeout_ms=30000&since=" + state,
                        nullptr, 45000)["jobs"][0];
    }
    std::string state = job.value("job_state", "");
    int code = job.value("exit_code", 0);
    if (state == "COMPLETED") std::cerr << "og-sbatch: job " << id << " COMPLETED\n";
    if (!job.value("canonical_root", std::string()).empty()) {
      try {
        fetch_result(client, id, dir, options);
      } catch (const ApiError&) {
        throw;  // og-schedd's side: said as such
      } catch (const std::runtime_error& e) {
        // The job's result stands; only bringing it here failed (a link in the way, a full
        // disk): say so, and how to get it elsewhere.
        std::cerr << "og-sbatch: job " << id << "'s outputs were not all written here: " << e.what()
                  << "\nog-sbatch: fetch them into another directory with: og-fetch -D DIR " << id << "\n";
        if (code == 0) code = 1;
      }
    }
    if (state != "COMPLETED") {
      std::cerr << "og-sbatch: job " << id << " ended " << state << " ("
                << job.value("state_reason", "") << ")\n";
      if (code == 0) code = 1;
    }
    status = std::max(status, code);
  }
  return status;
}

}  // namespace og::cli
