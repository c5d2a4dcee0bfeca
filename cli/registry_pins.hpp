// What a requester's tools do with registry references: decide how to reach a registry,
// and pin a job's image and data sets to the digests their tags name now, before the job
// is signed (a tag moved later changes nothing about a submitted job).
#pragma once

#include <string>

#include "core/job_spec.hpp"

namespace og::cli {

// Plain HTTP for a registry on loopback (scripts/registry-local.sh) or one listed in
// OG_INSECURE_REGISTRIES (comma-separated HOST:PORT); HTTPS, with the CA in
// OG_REGISTRY_CA_FILE or the system's, for every other.
bool registry_plain_http(const std::string& registry);
std::string registry_ca_file();

// Replaces spec.image and each spec.data value with REGISTRY/REPOSITORY@sha256:HEX.
// Throws og::UsageError saying which reference could not be resolved and why.
void pin_registry_references(JobSpec& spec);

}  // namespace og::cli
