// How replicas' results are compared (--verify): byte for byte ("exact", the default),
// numeric outputs within a relative tolerance ("fuzzy:REL_TOL"; verify/numeric_compare),
// images by their decoded pixels ("image:psnr=DB", "image:maxdiff=K", or both;
// verify/image_compare), or by validators that score each replica's outputs with a
// script the job ships ("score:SCRIPT[:THRESHOLD]"; scheduler/score_verdict).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace og {

struct VerifyMode {
  enum class Kind { Exact, Fuzzy, Image, Score };
  Kind kind = Kind::Exact;
  double rel_tol = 0;          // fuzzy: |a - b| <= rel_tol × max(|a|, |b|)
  double min_psnr_db = 0;      // image: peak signal-to-noise ratio at least this (0: not asked)
  int max_channel_diff = -1;   // image: no channel of any pixel differs by more (-1: not asked)
  std::string score_script;    // score: the program in the job's bundle that scores replicas
  double threshold = 0;        // score: a replica scoring at least this is accepted
  // Outputs whose digests differ may still agree: their contents are compared.
  bool compares_contents() const { return kind == Kind::Fuzzy || kind == Kind::Image; }
};

// "exact"; "fuzzy:REL_TOL" with 0 < REL_TOL < 1; "image:psnr=DB" (0 < DB <= 200),
// "image:maxdiff=K" (0 <= K <= 255) or "image:psnr=DB,maxdiff=K"; "score:SCRIPT" or
// "score:SCRIPT:THRESHOLD" (SCRIPT a relative path of letters, digits, '_', '.', '-' and '/',
// no "..", THRESHOLD in (0, 1], 0.5 when not given); nullopt otherwise.
std::optional<VerifyMode> parse_verify_mode(std::string_view text);

// What --verify accepts, for error messages.
inline constexpr const char* kVerifyModes =
    "exact, fuzzy:REL_TOL (0 < REL_TOL < 1, e.g. fuzzy:1e-9) or image:psnr=DB / image:maxdiff=K / "
    "image:psnr=DB,maxdiff=K (e.g. image:psnr=40) or score:SCRIPT[:THRESHOLD] (a scoring program in the "
    "job's bundle, 0 < THRESHOLD <= 1, default 0.5; e.g. score:ai/score.sh:0.6)";
inline constexpr double kDefaultScoreThreshold = 0.5;

}  // namespace og
