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
// 1-64 characters from [A-Za-z0-9_.-] and `extra`: names of users, partitions, features,
// secrets, which end up in paths, logs and URLs.
bool is_plain_name(std::string_view text, std::string_view extra = "");
// Text someone else chose (a job name, a comment, a file name), made safe to print to a
// terminal: C0 and C1 control characters and DEL become '?', so no escape sequence in it
// reaches the reader's terminal. Other UTF-8 passes unchanged.
std::string printable(std::string_view text);

}  // namespace og
