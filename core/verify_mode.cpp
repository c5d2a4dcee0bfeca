#include "core/verify_mode.hpp"

#include <cctype>
#include <charconv>

namespace og {
namespace {

template <typename T>
bool whole_number_of(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::optional<VerifyMode> parse_image(std::string_view rules) {
  VerifyMode mode;
  mode.kind = VerifyMode::Kind::Image;
  while (!rules.empty()) {
    auto comma = rules.find(',');
    std::string_view rule = rules.substr(0, comma);
    rules = comma == std::string_view::npos ? std::string_view() : rules.substr(comma + 1);
    if (comma != std::string_view::npos && rules.empty()) return std::nullopt;  // a trailing comma
    auto eq = rule.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = rule.substr(0, eq), value = rule.substr(eq + 1);
    if (key == "psnr" && mode.min_psnr_db == 0) {
      double db = 0;
      if (!whole_number_of(value, db) || !(db > 0 && db <= 200)) return std::nullopt;
      mode.min_psnr_db = db;
    } else if (key == "maxdiff" && mode.max_channel_diff < 0) {
      int k = -1;
      if (!whole_number_of(value, k) || k < 0 || k > 255) return std::nullopt;
      mode.max_channel_diff = k;
    } else {
      return std::nullopt;  // unknown, or given twice
    }
  }
  if (mode.min_psnr_db == 0 && mode.max_channel_diff < 0) return std::nullopt;
  return mode;
}

// A path inside the job's bundle, run by the worker's shell wrapper: a plain relative path.
bool is_bundle_path(std::string_view path) {
  if (path.empty() || path.size() > 255 || path.front() == '/' || path.back() == '/') return false;
  for (char ch : path)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-' && ch != '/') return false;
  for (size_t start = 0; start <= path.size();) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

std::optional<VerifyMode> parse_score(std::string_view rest) {
  VerifyMode mode;
  mode.kind = VerifyMode::Kind::Score;
  mode.threshold = kDefaultScoreThreshold;
  auto colon = rest.find(':');
  if (colon != std::string_view::npos) {
    double t = 0;
    if (!whole_number_of(rest.substr(colon + 1), t) || !(t > 0 && t <= 1)) return std::nullopt;
    mode.threshold = t;
    rest = rest.substr(0, colon);
  }
  if (!is_bundle_path(rest)) return std::nullopt;
  mode.score_script = std::string(rest);
  return mode;
}

}  // namespace

std::optional<VerifyMode> parse_verify_mode(std::string_view text) {
  if (text == "exact") return VerifyMode{};
  constexpr std::string_view kFuzzy = "fuzzy:", kImage = "image:", kScore = "score:";
  if (text.substr(0, kImage.size()) == kImage) return parse_image(text.substr(kImage.size()));
  if (text.substr(0, kScore.size()) == kScore) return parse_score(text.substr(kScore.size()));
  if (text.substr(0, kFuzzy.size()) != kFuzzy) return std::nullopt;
  double tol = 0;
  if (!whole_number_of(text.substr(kFuzzy.size()), tol) || !(tol > 0 && tol < 1)) return std::nullopt;
  VerifyMode mode;
  mode.kind = VerifyMode::Kind::Fuzzy;
  mode.rel_tol = tol;
  return mode;
}

}  // namespace og
