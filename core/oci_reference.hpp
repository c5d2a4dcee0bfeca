// Names of images and data in an OCI registry, as requesters write them:
//   REGISTRY/REPOSITORY[:TAG][@sha256:HEX]   (docker's spelling: 127.0.0.1:5000/base:1)
//   REGISTRY#REPOSITORY[:TAG]                (pyxis/enroot's spelling of the same)
// The registry must be named (a host with a dot or a port, or localhost): there is no
// implicit default registry, so a name never means something else on another machine.
#pragma once

#include <string>

namespace og {

struct OciReference {
  std::string registry;    // HOST[:PORT]
  std::string repository;  // lower-case path components ("library/base")
  std::string tag;         // "" when only a digest was given
  std::string digest;      // "sha256:HEX", "" until resolved

  // REGISTRY/REPOSITORY@sha256:HEX — what a job is pinned to once the tag is resolved.
  std::string pinned() const;
  // As written back to a person: with the tag when there is one, and the digest when known.
  std::string display() const;
};

// Throws og::UsageError saying what is wrong and how a valid reference looks.
OciReference parse_oci_reference(const std::string& text);

// "sha256:" and 64 lower-case hex digits.
bool is_sha256_digest(const std::string& digest);

}  // namespace og
