// Finds the #SBATCH/#OG directive lines of a batch script and splits them into tokens.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace og::jobscripts {

struct DirectiveLine {
  size_t line_number = 0;           // 1-based
  std::vector<std::string> tokens;  // quotes removed; a trailing "# comment" dropped
};

// Scans the leading comment block only (as sbatch): it stops at the first line that is
// neither blank nor a comment. file_label prefixes error messages (e.g. "job.sh").
// Throws og::UsageError when the script is not a batch script or a quote is unclosed.
std::vector<DirectiveLine> scan_directives(const std::string& script_text, const std::string& file_label);

}  // namespace og::jobscripts
