// A client of the OCI distribution API (what docker-registry, Harbor, GHCR, ... serve):
// manifests by tag or digest, blobs streamed to files, pushes. Every byte that comes is
// checked against the digest that named it before anyone may use it. Anonymous access
// only: a registry that asks for credentials is refused with a message saying so.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace og {

class HttpClient;
struct HttpResult;

inline constexpr const char* kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kDockerManifestType = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerListType = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kOciEmptyConfigType = "application/vnd.oci.empty.v1+json";
// An OpenGrid data set: an artifact whose blobs are files, named by their title annotation.
inline constexpr const char* kDataArtifactType = "application/vnd.opengrid.data.v1";

// Why a registry operation failed. `unreachable`: no answer (try again later, elsewhere);
// `bad_content`: what came does not match its digest, or is no image (the job's fault or
// the registry's, never the provider's); `refused`: the registry said no (not found,
// credentials wanted).
class RegistryError : public std::runtime_error {
 public:
  RegistryError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

struct OciDescriptor {
  std::string media_type;
  std::string digest;  // sha256:HEX
  uint64_t size = 0;
  std::string title;   // org.opencontainers.image.title, for data files
};

struct OciManifest {
  std::string media_type;
  std::string digest;  // of the bytes as served: what jobs are pinned to
  std::string artifact_type;
  OciDescriptor config;
  std::vector<OciDescriptor> layers;
};

class RegistryClient {
 public:
  // registry: HOST[:PORT]; plain_http: speak HTTP instead of HTTPS (a registry its user
  // chose to trust on the network path); ca_file: the CA for HTTPS ("" = the system's).
  RegistryClient(const std::string& registry, bool plain_http, const std::string& ca_file = "");
  ~RegistryClient();

  // The manifest a tag or a digest names. By digest, the bytes must hash to it. An index
  // (multi-platform image) resolves to its linux/amd64 manifest.
  OciManifest manifest(const std::string& repository, const std::string& tag_or_digest);

  // Streams a blob into `file` (created, or replaced), checking its size and digest on
  // the way; a blob that does not match is removed and RegistryError("bad_content").
  // `progress` is told the bytes so far.
  void fetch_blob(const std::string& repository, const OciDescriptor& blob, const std::string& file,
                  const std::function<void(uint64_t)>& progress = nullptr);
  // A small blob (an image config) read into memory, at most max_bytes, digest checked.
  std::string fetch_small_blob(const std::string& repository, const OciDescriptor& blob, uint64_t max_bytes = 4 << 20);

  bool has_blob(const std::string& repository, const std::string& digest);
  // Uploads a file as a blob (streamed from disk) unless the registry has it already.
  void push_blob_file(const std::string& repository, const std::string& digest, const std::string& file);
  void push_blob_bytes(const std::string& repository, const std::string& digest, const std::string& bytes);
  // Stores a manifest under a tag; returns its digest.
  std::string push_manifest(const std::string& repository, const std::string& tag, const std::string& media_type,
                            const std::string& bytes);

  // Bytes of blobs received from the registry by this client (for the cache's figures).
  uint64_t bytes_fetched() const { return bytes_fetched_; }
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  std::string ca_file_;
  std::unique_ptr<HttpClient> http_;
  uint64_t bytes_fetched_ = 0;
  std::string upload_location(const std::string& repository);
  // A GET whose body (2xx) may not exceed max_bytes; RegistryError otherwise.
  HttpResult get_bounded(const std::string& path, uint64_t max_bytes, const std::string& what);
};

// Parses a manifest's JSON (an image manifest or an index); throws RegistryError("bad_content").
OciManifest parse_oci_manifest(const std::string& bytes, const std::string& media_type_header);

}  // namespace og
