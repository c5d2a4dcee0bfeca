#include "cli/registry_pins.hpp"

#include <cstdlib>

#include "core/error.hpp"
#include "core/oci_reference.hpp"
#include "core/oci_registry.hpp"
#include "core/strings.hpp"

namespace og::cli {
namespace {

std::string pin(const std::string& text, const std::string& what, bool want_data) {
  OciReference ref = parse_oci_reference(text);
  try {
    RegistryClient registry(ref.registry, registry_plain_http(ref.registry), registry_ca_file());
    OciManifest m = registry.manifest(ref.repository, ref.digest.empty() ? ref.tag : ref.digest);
    bool is_data = m.artifact_type == kDataArtifactType;
    if (is_data != want_data)
      throw UsageError(what + " " + text + " is " + (is_data ? "a data set (og-data push): name it with --data=NAME=" + text
                                                             : "an image, not a data set (push data with og-data push)"));
    ref.digest = m.digest;
  } catch (const RegistryError& e) {
    throw UsageError(what + " " + text + ": " + e.what());
  }
  return ref.pinned();
}

}  // namespace

bool registry_plain_http(const std::string& registry) {
  std::string host = registry.substr(0, registry.rfind(':'));
  if (host == "127.0.0.1" || host == "localhost" || host == "[::1]") return true;
  const char* listed = std::getenv("OG_INSECURE_REGISTRIES");
  if (!listed) return false;
  for (const auto& entry : split_list(listed))
    if (entry == registry) return true;
  return false;
}

std::string registry_ca_file() {
  const char* file = std::getenv("OG_REGISTRY_CA_FILE");
  return file ? file : "";
}

void pin_registry_references(JobSpec& spec) {
  if (!spec.image.empty()) spec.image = pin(spec.image, "--container-image", false);
  for (auto& [name, ref] : spec.data)
    if (!result_job_of(ref)) ref = pin(ref, "--data " + name, true);  // job:ID is og-schedd's to resolve
}

}  // namespace og::cli
