#include "verify/numeric_compare.hpp"

#include "verify/hdf5_compare.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace og {

bool is_numeric_output(std::string_view path) {
  return (path.size() > 4 && path.substr(path.size() - 4) == ".csv") || is_hdf5_output(path);
}

bool numeric_outputs_close(std::string_view path, std::string_view a, std::string_view b, double rel_tol) {
  return is_hdf5_output(path) ? hdf5_close(a, b, rel_tol) : csv_close(a, b, rel_tol);
}

namespace {

// The next cell, and whether the line ended after it (shape matters: rows must line up).
struct Cursor {
  std::string_view text;
  size_t at = 0;
  bool next(std::string_view& cell, bool& line_end) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == ',' || text[at] == '\r')) ++at;
    line_end = false;
    if (at < text.size() && text[at] == '\n') {
      ++at;
      line_end = true;
      cell = {};
      return true;
    }
    if (at >= text.size()) return false;
    size_t start = at;
    while (at < text.size() && text[at] != ',' && text[at] != ' ' && text[at] != '\t' && text[at] != '\n' &&
           text[at] != '\r')
      ++at;
    cell = text.substr(start, at - start);
    return true;
  }
};

std::optional<double> number_of(std::string_view cell) {
  double v = 0;
  auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (ec != std::errc() || end != cell.data() + cell.size()) return std::nullopt;
  return v;
}

}  // namespace

bool csv_close(std::string_view a, std::string_view b, double rel_tol) {
  Cursor ca{a}, cb{b};
  std::string_view x, y;
  bool ex = false, ey = false;
  while (true) {
    bool more_a = ca.next(x, ex), more_b = cb.next(y, ey);
    if (more_a != more_b) return false;
    if (!more_a) return true;
    if (ex != ey) return false;  // rows of different lengths
    if (ex) continue;
    if (x == y) continue;
    auto nx = number_of(x), ny = number_of(y);
    if (!nx || !ny) return false;
    if (!std::isfinite(*nx) || !std::isfinite(*ny)) return false;  // equal text matched above
    double scale = std::max(std::fabs(*nx), std::fabs(*ny));
    if (std::fabs(*nx - *ny) > rel_tol * scale) return false;
  }
}

}  // namespace og
