#include "cli/signed_submission.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/registry_pins.hpp"
#include "core/http_status.hpp"
#include "core/bundle.hpp"
#include "core/client_config.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/hex.hpp"
#include "core/job_signature.hpp"
#include "core/sha256.hpp"

namespace og::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxSecretBytes = 64 * 1024;

std::string read_secret(const std::string& name, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("--secret " + name + "=" + file + ": cannot read the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > kMaxSecretBytes)
    throw UsageError("--secret " + name + "=" + file + ": secrets are at most 64 KiB");
  return ss.str();
}

std::vector<BundleSource> bundle_sources(const jobscripts::SubmitFlags& flags) {
  std::vector<BundleSource> sources;
  for (const auto& input : flags.inputs) {
    // Kept at the path it has relative to the submit directory, so the script finds it
    // where it would here; an absolute path lands at the top under its own name.
    fs::path p(input);
    std::string inside = p.is_absolute() ? p.filename().string() : p.lexically_normal().string();
    sources.push_back({inside, input});
  }
  if (!flags.bundle_dir.empty()) {
    std::error_code ec;
    fs::directory_iterator it(flags.bundle_dir, ec);
    if (ec) throw UsageError("--bundle " + flags.bundle_dir + ": " + ec.message());
    for (const auto& entry : it) sources.push_back({entry.path().filename().string(), entry.path().string()});
  }
  return sources;
}

constexpr size_t kRegistrationsKept = 31;

}  // namespace

std::string register_key(HttpClient& client, const KeyPair& key, const std::string& dir) {
  auto held = client.call("GET", "/og/v1/users/me/key");
  std::string user = held.value("user", ""), theirs = held.value("public_key", "");
  if (theirs.empty()) {
    client.call("PUT", "/og/v1/users/me/key", {{"public_key", key.public_hex}});
  } else if (theirs != key.public_hex) {
    throw UsageError("og-schedd holds another signing key for " + user + " (" + theirs.substr(0, 16) +
                     "…) than " + dir + " (" + key.public_hex.substr(0, 16) +
                     "…): register this one with og-keygen --register, or set OG_KEY_DIR to the key you registered");
  }
  return user;
}

namespace {

// This user's name and that og-schedd holds our public key, asked once per key and
// og-schedd, then remembered next to the key (a submission is one round trip).
std::string registered_user(HttpClient& client, const KeyPair& key, const std::string& dir) {
  std::string marker = dir + "/registered";
  std::string wanted = client.base_url() + " " + key.public_hex + " ";
  std::vector<std::string> others;  // registrations with other og-schedds (or other keys)
  {
    std::ifstream in(marker);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(wanted, 0) == 0) return line.substr(wanted.size());
      if (!line.empty()) others.push_back(line);
    }
  }
  std::string user = register_key(client, key, dir);
  // The newest registrations only: a test or demo mesh on a fresh port each time would
  // otherwise grow the file that every submission reads.
  std::string kept;
  for (size_t i = others.size() > kRegistrationsKept ? others.size() - kRegistrationsKept : 0; i < others.size(); ++i)
    kept += others[i] + "\n";
  std::string fresh = marker + ".new." + std::to_string(::getpid());  // another og-sbatch may write at once
  write_new_file(fresh, kept + wanted + user + "\n", 0600, /*replace=*/true);
  fs::rename(fresh, marker);
  return user;
}

}  // namespace

void prepare_signed_submission(HttpClient& client, JobSpec& spec, const jobscripts::SubmitFlags& flags,
                               nlohmann::json& body, bool upload) {
  auto sources = bundle_sources(flags);
  if (!sources.empty()) {
    std::string archive;
    try {
      archive = pack_bundle(sources);
    } catch (const BundleError& e) {
      throw UsageError(std::string("bundle: ") + e.what());
    }
    spec.bundle_sha256 = sha256_hex(archive);
    spec.bundle_bytes = archive.size();
    if (upload) {
      auto r = client.request("PUT", "/og/v1/artifacts/" + spec.bundle_sha256 + "?purpose=bundle", archive, 600000,
                              "application/octet-stream");
      if (r.status != 201) throw ApiError(refusal_of_status(static_cast<int>(r.status)), "bundle_upload_failed", r.body);
    }
  }
  for (const auto& [name, file] : flags.secrets) {
    spec.secrets.push_back(name);
    body["secrets"][name] = to_hex(read_secret(name, file));
  }
  pin_registry_references(spec);  // the digests, not the tags, are what gets signed
  std::string dir = key_dir();
  KeyPair key = load_or_create_key(dir);
  sign_job(registered_user(client, key, dir), spec, key);
  body["job"] = to_json(spec);
}

}  // namespace og::cli
