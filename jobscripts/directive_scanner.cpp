#include "jobscripts/directive_scanner.hpp"

#include <optional>
#include <string_view>

#include "core/error.hpp"

namespace og::jobscripts {

namespace {

constexpr std::string_view kPrefixes[] = {"#SBATCH", "#OG"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

// The text after "#SBATCH"/"#OG" when the line is a directive; "#SBATCHX" is not.
std::optional<std::string_view> directive_body(std::string_view line) {
  for (std::string_view prefix : kPrefixes) {
    if (!line.starts_with(prefix)) continue;
    std::string_view rest = line.substr(prefix.size());
    if (rest.empty() || is_space(rest.front())) return rest;
  }
  return std::nullopt;
}

bool is_command(std::string_view line) {
  for (char c : line) {
    if (is_space(c)) continue;
    return c != '#';
  }
  return false;
}

std::vector<std::string> tokenize(std::string_view body, const std::string& where) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (true) {
    while (i < body.size() && is_space(body[i])) ++i;
    // A '#' starting a word ends the options, so "--mem=4G  # per node" works.
    if (i >= body.size() || body[i] == '#') return tokens;
    std::string token;
    while (i < body.size() && !is_space(body[i])) {
      char c = body[i++];
      if (c != '"' && c != '\'') {
        token += c;
        continue;
      }
      size_t close = body.find(c, i);
      if (close == std::string_view::npos)
        throw UsageError(where + ": unterminated " + std::string(1, c) + " quote");
      token.append(body.substr(i, close - i));
      i = close + 1;
    }
    tokens.push_back(std::move(token));
  }
}

}  // namespace

std::vector<DirectiveLine> scan_directives(const std::string& script_text, const std::string& file_label) {
  if (script_text.empty()) throw UsageError(file_label + ": batch script is empty");
  if (!script_text.starts_with("#!")) {
    throw UsageError(file_label +
                     ": This does not look like a batch script. The first line must start with #! "
                     "followed by the path to an interpreter. For instance: #!/bin/sh");
  }
  if (script_text.find('\0') != std::string::npos)
    throw UsageError(file_label + ": the batch script contains a NUL character");
  // bash would choke on the '\r's at run time; sbatch refuses such scripts too.
  if (script_text.find("\r\n") != std::string::npos) {
    throw UsageError(file_label +
                     ": batch script contains DOS line breaks (\\r\\n) instead of UNIX line breaks (\\n); "
                     "convert it with dos2unix");
  }

  std::vector<DirectiveLine> lines;
  std::string_view text = script_text;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (++line_number == 1) continue;  // the #! line
    if (auto body = directive_body(line)) {
      std::string where = file_label + ":" + std::to_string(line_number);
      lines.push_back({line_number, tokenize(*body, where)});
    } else if (is_command(line)) {
      break;
    }
  }
  return lines;
}

}  // namespace og::jobscripts
