// Comma lists and the like: "a,b,c" ↔ {"a","b","c"}; quoting.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace og {

// The non-empty pieces of text between separators.
std::vector<std::string> split_list(std::string_view text, char sep = ',');
std::string join(const std::vector<std::string>& items, const std::string& sep);
// text for inside double quotes: '\\' and '"' backslash-escaped, a newline as \n (the
// rule of both our key=value logs and Prometheus label values).
std::string escape_quoted(std::string_view text);

}  // namespace og
