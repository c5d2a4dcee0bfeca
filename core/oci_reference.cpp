#include "core/oci_reference.hpp"

#include <cctype>

#include "core/error.hpp"

namespace og {
namespace {

const char* const kExample = " (expected REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. 127.0.0.1:5000/base:1)";

[[noreturn]] void refuse(const std::string& text, const std::string& why) {
  throw UsageError("image or data reference \"" + text + "\": " + why + kExample);
}

// A path component of the distribution spec: [a-z0-9]+ joined by '.', '_', '__' or '-'s.
bool valid_repository(const std::string& repo) {
  if (repo.empty() || repo.size() > 255) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = repo.find('/', start);
    std::string part = repo.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || !std::isalnum(static_cast<unsigned char>(part.front())) ||
        !std::isalnum(static_cast<unsigned char>(part.back())))
      return false;
    for (char c : part)
      if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
            c == '_' || c == '-'))
        return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

bool valid_tag(const std::string& tag) {
  if (tag.empty() || tag.size() > 128 || tag[0] == '.' || tag[0] == '-') return false;
  for (char c : tag)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

bool valid_registry(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
      return false;
  return host.find('.') != std::string::npos || host.find(':') != std::string::npos || host == "localhost";
}

}  // namespace

bool is_sha256_digest(const std::string& digest) {
  if (digest.size() != 71 || digest.rfind("sha256:", 0) != 0) return false;
  for (size_t i = 7; i < digest.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(digest[i])) || std::isupper(static_cast<unsigned char>(digest[i])))
      return false;
  return true;
}

OciReference parse_oci_reference(const std::string& text) {
  OciReference ref;
  std::string rest = text;
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (!is_sha256_digest(ref.digest)) refuse(text, "the digest must be sha256: and 64 lower-case hex digits");
  }
  size_t split = rest.find('#');  // pyxis: REGISTRY#IMAGE
  if (split == std::string::npos) split = rest.find('/');
  if (split == std::string::npos) refuse(text, "no registry is named");
  ref.registry = rest.substr(0, split);
  rest = rest.substr(split + 1);
  if (!valid_registry(ref.registry))
    refuse(text, "\"" + ref.registry + "\" is not a registry (a host with a dot or a :PORT, or localhost; OpenGrid has "
                                       "no default registry)");
  if (auto colon = rest.rfind(':'); colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!valid_tag(ref.tag)) refuse(text, "the tag \"" + ref.tag + "\" is not valid (letters, digits, _ . -)");
  }
  ref.repository = rest;
  if (!valid_repository(ref.repository))
    refuse(text, "the repository \"" + ref.repository + "\" is not valid (lower-case letters, digits, . _ - and /)");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

std::string OciReference::pinned() const { return registry + "/" + repository + "@" + digest; }

std::string OciReference::display() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

}  // namespace og
