// og-data: puts a data set or a model into an OCI registry, where jobs name it by digest
// (#OG --data=NAME=REF mounts it read-only at /data/NAME).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli_common.hpp"
#include "cli/registry_pins.hpp"
#include "core/sha256_openssl.hpp"
#include "core/error.hpp"
#include "core/job_spec.hpp"
#include "core/oci_reference.hpp"
#include "core/oci_registry.hpp"
#include "core/sha256.hpp"

namespace {

namespace fs = std::filesystem;

constexpr const char* kHelp = R"(usage: og-data push PATH REGISTRY/REPOSITORY[:TAG]

Pushes PATH (a file, or a directory of files) to an OCI registry as one data set, each
file a blob named by its file name, and prints the reference pinned by digest. A job
names it with
  #OG --data=NAME=REGISTRY/REPOSITORY:TAG      (or the printed @sha256: form)
and finds its files read-only in /data/NAME; providers fetch each blob once, check it
against its digest and share it among all their jobs that name it.
Registries on loopback (scripts/registry-local.sh) are spoken to over plain HTTP, others
over HTTPS (OG_REGISTRY_CA_FILE: the CA; OG_INSECURE_REGISTRIES=HOST:PORT,...: plain HTTP).
)";

// The empty JSON object, the config of an artifact that needs none.
constexpr const char* kEmptyConfig = "{}";

std::vector<fs::path> files_of(const fs::path& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {path};
  if (!fs::is_directory(path, ec)) throw og::UsageError(path.string() + ": no such file or directory");
  for (const auto& entry : fs::directory_iterator(path)) {
    if (entry.is_directory())
      throw og::UsageError(entry.path().string() + " is a directory: a data set is a flat set of files (pack a "
                                                   "tree into an archive first)");
    if (!entry.is_regular_file()) throw og::UsageError(entry.path().string() + " is not a regular file");
    files.push_back(entry.path());
  }
  if (files.empty()) throw og::UsageError(path.string() + " holds no files");
  std::sort(files.begin(), files.end());
  return files;
}

int push(const std::string& path, const std::string& target) {
  og::OciReference ref = og::parse_oci_reference(target);
  if (!ref.digest.empty()) throw og::UsageError("push to a tag (REGISTRY/REPOSITORY:TAG), not a digest");
  og::RegistryClient registry(ref.registry, og::cli::registry_plain_http(ref.registry), og::cli::registry_ca_file());
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& file : files_of(path)) {
    std::string name = file.filename().string();
    if (!og::is_secret_name(name))
      throw og::UsageError(file.string() + ": a data file's name must be letters, digits, _ - . (not starting with .)");
    std::string digest = "sha256:" + og::sha256_file_hex(file);
    uint64_t size = fs::file_size(file);
    registry.push_blob_file(ref.repository, digest, file.string());
    layers.push_back({{"mediaType", "application/octet-stream"},
                      {"digest", digest},
                      {"size", size},
                      {"annotations", {{"org.opencontainers.image.title", name}}}});
    std::cerr << "og-data: " << name << " " << size << " bytes " << digest << "\n";
  }
  std::string config_digest = "sha256:" + og::sha256_hex(kEmptyConfig);
  registry.push_blob_bytes(ref.repository, config_digest, kEmptyConfig);
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", og::kOciManifestType},
      {"artifactType", og::kDataArtifactType},
      {"config", {{"mediaType", og::kOciEmptyConfigType}, {"digest", config_digest}, {"size", 2}}},
      {"layers", layers}};
  ref.digest = registry.push_manifest(ref.repository, ref.tag, og::kOciManifestType, manifest.dump());
  std::cout << ref.display() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  og::use_openssl_sha256();  // it hashes gigabytes: SHA-NI's speed is worth OpenSSL's start
  return og::cli::run_command("og-data", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
      std::cout << kHelp;
      return 0;
    }
    if (args.size() == 3 && args[0] == "push") return push(args[1], args[2]);
    throw og::UsageError("usage: og-data push PATH REGISTRY/REPOSITORY[:TAG] (og-data --help)");
  });
}
