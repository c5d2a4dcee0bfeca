#include "core/oci_registry.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/file_io.hpp"
#include "core/http_client.hpp"
#include "core/oci_reference.hpp"
#include "core/sha256.hpp"

namespace og {
namespace {

constexpr uint64_t kMaxManifestBytes = 4 << 20;

std::string accept_manifests() {
  return std::string(kOciManifestType) + ", " + kOciIndexType + ", " + kDockerManifestType + ", " + kDockerListType;
}

OciDescriptor descriptor_of(const nlohmann::json& j) {
  OciDescriptor d;
  d.media_type = j.value("mediaType", "");
  d.digest = j.value("digest", "");
  d.size = j.value("size", uint64_t{0});
  if (j.contains("annotations") && j["annotations"].is_object())
    d.title = j["annotations"].value("org.opencontainers.image.title", "");
  if (!is_sha256_digest(d.digest)) throw RegistryError("bad_content", "a descriptor's digest \"" + d.digest + "\" is not sha256");
  return d;
}

[[noreturn]] void answered(const std::string& what, const HttpResult& r, const std::string& where) {
  if (r.status == 401 || r.status == 403)
    throw RegistryError("refused", where + " asks for credentials for " + what +
                                       ": OpenGrid pulls anonymously (make the repository public, or use a registry "
                                       "that serves it without a login)");
  if (r.status == 404) throw RegistryError("refused", where + " has no " + what);
  // Slow down, or down for now: a registry's trouble, not the job's.
  if (r.status == 429 || r.status >= 500)
    throw RegistryError("unreachable", where + " answered " + std::to_string(r.status) + " for " + what);
  throw RegistryError("refused", where + " answered " + std::to_string(r.status) + " for " + what);
}

}  // namespace

OciManifest parse_oci_manifest(const std::string& bytes, const std::string& media_type_header) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw RegistryError("bad_content", "the manifest is not JSON");
  OciManifest m;
  m.digest = "sha256:" + sha256_hex(bytes);
  try {
    m.media_type = j.value("mediaType", media_type_header);
    m.artifact_type = j.value("artifactType", "");
    if (j.contains("manifests")) {  // an index: the caller picks an entry
      m.media_type = m.media_type.empty() ? kOciIndexType : m.media_type;
      for (const auto& entry : j["manifests"]) {
        OciDescriptor d = descriptor_of(entry);
        const auto platform = entry.value("platform", nlohmann::json::object());
        d.title = platform.value("os", "") + "/" + platform.value("architecture", "");
        m.layers.push_back(d);
      }
      return m;
    }
    if (!j.contains("config") || !j.contains("layers") || !j["layers"].is_array())
      throw RegistryError("bad_content", "the manifest has no config or layers (schema 1 manifests are not supported)");
    m.config = descriptor_of(j["config"]);
    for (const auto& layer : j["layers"]) m.layers.push_back(descriptor_of(layer));
    if (m.artifact_type.empty() && m.config.media_type != "application/vnd.oci.image.config.v1+json" &&
        m.config.media_type != "application/vnd.docker.container.image.v1+json")
      m.artifact_type = m.config.media_type;
  } catch (const nlohmann::json::exception& e) {
    throw RegistryError("bad_content", std::string("the manifest is malformed: ") + e.what());
  }
  return m;
}

RegistryClient::RegistryClient(const std::string& registry, bool plain_http, const std::string& ca_file)
    : base_url_((plain_http ? "http://" : "https://") + registry), ca_file_(ca_file),
      http_(std::make_unique<HttpClient>(base_url_, "", ca_file)) {
  http_->set_server_name("the registry");
  http_->set_headers({{"Accept", accept_manifests()}});  // what manifest requests need; blobs ignore it
}

RegistryClient::~RegistryClient() = default;

HttpResult RegistryClient::get_bounded(const std::string& path, uint64_t max_bytes, const std::string& what) {
  std::string body;
  auto keep = [&](std::string_view piece) {
    if (body.size() + piece.size() > max_bytes)
      throw RegistryError("bad_content", what + " is larger than " + std::to_string(max_bytes) + " bytes");
    body.append(piece);
  };
  try {
    HttpResult r = http_->request_to("GET", path, keep, 60000);
    if (r.status / 100 == 2) r.body = std::move(body);
    return r;
  } catch (const HttpUnreachable& e) {
    throw RegistryError("unreachable", e.what());
  }
}

OciManifest RegistryClient::manifest(const std::string& repository, const std::string& tag_or_digest) {
  std::string where = base_url_ + "/" + repository;
  HttpResult r = get_bounded("/v2/" + repository + "/manifests/" + tag_or_digest, kMaxManifestBytes, "the manifest");
  if (r.status != 200) answered("manifest " + tag_or_digest, r, where);
  OciManifest m = parse_oci_manifest(r.body, r.header("Content-Type"));
  if (is_sha256_digest(tag_or_digest) && m.digest != tag_or_digest)
    throw RegistryError("bad_content", "the manifest " + where + "@" + tag_or_digest + " served does not hash to its digest (" +
                                           m.digest + "): the registry's copy was altered");
  if (m.media_type == kOciIndexType || m.media_type == kDockerListType) {
    for (const auto& entry : m.layers)
      if (entry.title == "linux/amd64") return manifest(repository, entry.digest);
    throw RegistryError("bad_content", where + ":" + tag_or_digest + " has no linux/amd64 image");
  }
  return m;
}

void RegistryClient::fetch_blob(const std::string& repository, const OciDescriptor& blob, const std::string& file,
                                const std::function<void(uint64_t)>& progress) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + file);
  Sha256 hash;
  uint64_t received = 0;
  auto sink = [&](std::string_view piece) {
    received += piece.size();
    if (received > blob.size)
      throw RegistryError("bad_content", "blob " + blob.digest + " is longer than its manifest says");
    hash.update(piece);
    if (!write_all(fd, piece)) throw std::runtime_error("cannot write " + file + " (disk full?)");
    if (progress) progress(received);
  };
  auto discard = [&] {
    ::close(fd);
    ::unlink(file.c_str());
  };
  HttpResult r;
  try {
    r = http_->request_to("GET", "/v2/" + repository + "/blobs/" + blob.digest, sink, 60000);
    // A registry may send blobs from elsewhere (a CDN): followed once, without credentials,
    // over HTTPS (plain HTTP only from a registry spoken to so), the system's CAs.
    if (r.status / 100 == 3 && !r.header("Location").empty()) {
      std::string location = r.header("Location");
      bool https = location.rfind("https://", 0) == 0;
      bool allowed = https || (base_url_.rfind("http://", 0) == 0 && location.rfind("http://", 0) == 0);
      size_t path_at = allowed ? location.find('/', location.find("//") + 2) : std::string::npos;
      if (path_at == std::string::npos)
        throw RegistryError("refused", "the registry redirected blob " + blob.digest + " somewhere it may not be fetched from");
      HttpClient elsewhere(location.substr(0, path_at), "", https ? "" : ca_file_);
      elsewhere.set_server_name("the registry's blob store");
      r = elsewhere.request_to("GET", location.substr(path_at), sink, 60000);
    }
  } catch (const HttpUnreachable& e) {
    discard();
    bytes_fetched_ += received;
    throw RegistryError("unreachable", e.what());
  } catch (...) {
    discard();
    bytes_fetched_ += received;
    throw;
  }
  bytes_fetched_ += received;
  if (r.status != 200) {
    discard();
    answered("blob " + blob.digest, r, base_url_ + "/" + repository);
  }
  std::string got = "sha256:" + hash.hex();
  if (got != blob.digest || received != blob.size) {
    discard();
    throw RegistryError("bad_content", "blob " + blob.digest + " of " + base_url_ + "/" + repository +
                                           " does not hash to its digest (got " + got + ", " + std::to_string(received) +
                                           " bytes): the registry's copy was altered");
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(file.c_str());
    throw std::runtime_error("cannot write " + file);
  }
}

std::string RegistryClient::fetch_small_blob(const std::string& repository, const OciDescriptor& blob,
                                             uint64_t max_bytes) {
  if (blob.size > max_bytes) throw RegistryError("bad_content", "blob " + blob.digest + " is larger than expected");
  HttpResult r = get_bounded("/v2/" + repository + "/blobs/" + blob.digest, max_bytes, "blob " + blob.digest);
  if (r.status != 200) answered("blob " + blob.digest, r, base_url_ + "/" + repository);
  bytes_fetched_ += r.body.size();
  if ("sha256:" + sha256_hex(r.body) != blob.digest)
    throw RegistryError("bad_content", "blob " + blob.digest + " of " + base_url_ + "/" + repository +
                                           " does not hash to its digest: the registry's copy was altered");
  return std::move(r.body);
}

bool RegistryClient::has_blob(const std::string& repository, const std::string& digest) {
  try {
    return http_->request("HEAD", "/v2/" + repository + "/blobs/" + digest, "", 60000).status == 200;
  } catch (const HttpUnreachable& e) {
    throw RegistryError("unreachable", e.what());
  }
}

std::string RegistryClient::upload_location(const std::string& repository) {
  HttpResult r = http_->request("POST", "/v2/" + repository + "/blobs/uploads/", "", 60000);
  if (r.status != 202) answered("an upload to " + repository, r, base_url_);
  std::string location = r.header("Location");
  // Absolute (docker-registry's) or relative: the path and query on this same server.
  if (location.rfind("http", 0) == 0) {
    size_t path_at = location.find('/', location.find("//") + 2);
    if (location.substr(0, path_at) != base_url_)
      throw RegistryError("refused", "the registry sent the upload elsewhere (" + location + ")");
    location = location.substr(path_at);
  }
  return location + (location.find('?') == std::string::npos ? "?" : "&");
}

void RegistryClient::push_blob_file(const std::string& repository, const std::string& digest, const std::string& file) {
  try {
    if (has_blob(repository, digest)) return;
    std::string location = upload_location(repository);
    HttpResult r = http_->send_file("PUT", location + "digest=" + digest, file);
    if (r.status != 201) answered("blob " + digest, r, base_url_ + "/" + repository);
  } catch (const HttpUnreachable& e) {
    throw RegistryError("unreachable", e.what());
  }
}

void RegistryClient::push_blob_bytes(const std::string& repository, const std::string& digest, const std::string& bytes) {
  try {
    if (has_blob(repository, digest)) return;
    std::string location = upload_location(repository);
    HttpResult r = http_->request("PUT", location + "digest=" + digest, bytes, 600000, "application/octet-stream");
    if (r.status != 201) answered("blob " + digest, r, base_url_ + "/" + repository);
  } catch (const HttpUnreachable& e) {
    throw RegistryError("unreachable", e.what());
  }
}

std::string RegistryClient::push_manifest(const std::string& repository, const std::string& tag,
                                          const std::string& media_type, const std::string& bytes) {
  try {
    HttpResult r = http_->request("PUT", "/v2/" + repository + "/manifests/" + tag, bytes, 60000, media_type);
    if (r.status != 201) answered("manifest " + tag, r, base_url_ + "/" + repository);
  } catch (const HttpUnreachable& e) {
    throw RegistryError("unreachable", e.what());
  }
  return "sha256:" + sha256_hex(bytes);
}

}  // namespace og
