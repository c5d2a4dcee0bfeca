// How replicas' results are compared (--verify): byte for byte ("exact", the default),
// numeric outputs within a relative tolerance ("fuzzy:REL_TOL"; verify/numeric_compare),
// or images by their decoded pixels ("image:psnr=DB", "image:maxdiff=K", or both;
// verify/image_compare).
#pragma once

#include <optional>
#include <string_view>

namespace og {

struct VerifyMode {
  enum class Kind { Exact, Fuzzy, Image };
  Kind kind = Kind::Exact;
  double rel_tol = 0;          // fuzzy: |a - b| <= rel_tol × max(|a|, |b|)
  double min_psnr_db = 0;      // image: peak signal-to-noise ratio at least this (0: not asked)
  int max_channel_diff = -1;   // image: no channel of any pixel differs by more (-1: not asked)
  // Outputs whose digests differ may still agree: their contents are compared.
  bool compares_contents() const { return kind != Kind::Exact; }
};

// "exact"; "fuzzy:REL_TOL" with 0 < REL_TOL < 1; "image:psnr=DB" (0 < DB <= 200),
// "image:maxdiff=K" (0 <= K <= 255) or "image:psnr=DB,maxdiff=K"; nullopt otherwise.
std::optional<VerifyMode> parse_verify_mode(std::string_view text);

// What --verify accepts, for error messages.
inline constexpr const char* kVerifyModes =
    "exact, fuzzy:REL_TOL (0 < REL_TOL < 1, e.g. fuzzy:1e-9) or image:psnr=DB / image:maxdiff=K / "
    "image:psnr=DB,maxdiff=K (e.g. image:psnr=40)";

}  // namespace og
