#include "jobscripts/filename_pattern.hpp"

#include <algorithm>
#include <filesystem>

namespace og::jobscripts {

namespace {

// sbatch prints NO_VAL-1 for %a outside an array; scripts that parse names expect it.
constexpr uint64_t kNoArrayTask = 4294967294ULL;
// Caps absurd widths such as %999999j rather than allocating huge strings.
constexpr size_t kMaxWidth = 64;

std::string zero_pad(uint64_t value, size_t width) {
  std::string digits = std::to_string(value);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

}  // namespace

std::string expand_filename_pattern(const std::string& pattern, const PatternContext& ctx) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '%') {
      out += pattern[i++];
      continue;
    }
    size_t j = i + 1;
    size_t width = 0;
    while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') {
      width = std::min(kMaxWidth, width * 10 + static_cast<size_t>(pattern[j] - '0'));
      ++j;
    }
    if (j >= pattern.size()) {  // a trailing '%' (or '%12') is literal text
      out += pattern.substr(i);
      break;
    }
    switch (pattern[j]) {
      case '%':
        out += '%';
        break;
      case 'j':
        out += zero_pad(ctx.job_id, width);
        break;
      case 'A':
        out += zero_pad(ctx.array_job_id ? ctx.array_job_id : ctx.job_id, width);
        break;
      case 'a':
        out +=
            zero_pad(ctx.array_task_id >= 0 ? static_cast<uint64_t>(ctx.array_task_id) : kNoArrayTask, width);
        break;
      case 'x':
        out += ctx.job_name;
        break;
      case 'u':
        out += ctx.user;
        break;
      case 'N':
        out += ctx.node;
        break;
      default:
        out += pattern.substr(i, j + 1 - i);
        break;
    }
    i = j + 1;
  }
  return out;
}

std::string stdio_file_path(const std::string& pattern, const PatternContext& ctx) {
  namespace fs = std::filesystem;
  std::string fallback = ctx.array_task_id >= 0 ? "slurm-%A_%a.out" : "slurm-%j.out";
  fs::path path(expand_filename_pattern(pattern.empty() ? fallback : pattern, ctx));
  if (path.is_absolute()) path = path.filename();
  bool climbs = std::any_of(path.begin(), path.end(), [](const fs::path& part) { return part == ".."; });
  if (climbs || path.empty()) return expand_filename_pattern(fallback, ctx);
  return path.string();
}

StdioFiles stdio_files(const std::string& chdir, const std::string& output, const std::string& error,
                       const PatternContext& ctx) {
  namespace fs = std::filesystem;
  fs::path cwd = fs::path(chdir).relative_path();
  StdioFiles files;
  files.out = (cwd / stdio_file_path(output, ctx)).lexically_normal().generic_string();
  files.err = error.empty() ? files.out : (cwd / stdio_file_path(error, ctx)).lexically_normal().generic_string();
  return files;
}

}  // namespace og::jobscripts
