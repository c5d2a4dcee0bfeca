// How replicas' results are compared (--verify): byte for byte ("exact", the default), or
// numeric outputs within a relative tolerance ("fuzzy:REL_TOL"; verify/numeric_compare).
#pragma once

#include <optional>
#include <string_view>

namespace og {

struct VerifyMode {
  bool fuzzy = false;
  double rel_tol = 0;  // |a - b| <= rel_tol × max(|a|, |b|)
};

// "exact" or "fuzzy:REL_TOL" with 0 < REL_TOL < 1; nullopt for anything else.
std::optional<VerifyMode> parse_verify_mode(std::string_view text);

}  // namespace og
