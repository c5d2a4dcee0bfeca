#include "jobscripts/constraint.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

Constraint parse_constraint_expr(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return UsageError("invalid constraint " + in_quotes(text) + ": " + why +
                      " (use FEATURE, A&B for all of them or A|B for any of them)");
  };
  if (text.empty()) throw bad("empty");
  bool all_of = text.find('&') != std::string_view::npos;
  Constraint c;
  c.any_of = text.find('|') != std::string_view::npos;
  if (all_of && c.any_of) throw bad("& and | cannot be mixed");
  for (std::string_view f : split(text, c.any_of ? '|' : '&')) {
    if (f.empty()) throw bad("a feature name is empty");
    bool plain = std::all_of(f.begin(), f.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
    });
    if (!plain) throw bad("brackets, counts and other operators are not supported");
    c.features.emplace_back(f);
  }
  return c;
}

bool constraint_satisfied(const Constraint& c, const std::vector<std::string>& features) {
  auto has = [&](const std::string& f) { return std::find(features.begin(), features.end(), f) != features.end(); };
  return c.any_of ? std::any_of(c.features.begin(), c.features.end(), has)
                  : std::all_of(c.features.begin(), c.features.end(), has);
}

}  // namespace og::jobscripts
