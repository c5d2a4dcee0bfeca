#include "jobscripts/constraint.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

Constraint parse_constraint_expr(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return UsageError("invalid constraint " + in_quotes(text) + ": " + why +
                      " (use FEATURE, A&B for all of them, A|B or [A|B] for any of them)");
  };
  if (text.empty()) throw bad("empty");
  // [a|b] asks that all of a job's nodes share one of them: on one partition, any of them.
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.find('*') != std::string_view::npos)
    throw bad("a count (FEATURE*N) asks for N nodes with it; OpenGrid places a job on one partition, so leave "
              "the count out");
  bool all_of = text.find('&') != std::string_view::npos;
  Constraint c;
  c.any_of = text.find('|') != std::string_view::npos;
  if (all_of && c.any_of) throw bad("& and | cannot be mixed");
  for (std::string_view f : split(text, c.any_of ? '|' : '&')) {
    if (f.empty()) throw bad("a feature name is empty");
    bool plain = std::all_of(f.begin(), f.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
    });
    if (!plain) throw bad("brackets inside an expression and other operators are not supported");
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
