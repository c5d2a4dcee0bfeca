#include "cli/result_placement.hpp"

namespace og::cli {

Placement place_result_file(const ResultFile& file, const std::optional<std::string>& local_sha256, bool force) {
  // A fresh directory gets everything (og-verify checks the whole result there).
  if (!local_sha256) return Placement::kWrite;
  if (file.input_sha256 == file.sha256) return Placement::kUnchangedInput;
  if (*local_sha256 == file.sha256) return Placement::kAlreadyHere;
  // The local file is what the job was given: the job's change to it is the result.
  if (force || local_sha256 == file.input_sha256) return Placement::kWrite;
  return Placement::kBeside;
}

std::string beside_name(const std::string& path, uint64_t job_id, unsigned attempt) {
  size_t slash = path.rfind('/');
  size_t name_at = slash == std::string::npos ? 0 : slash + 1;
  size_t dot = path.rfind('.');
  std::string tag = ".job" + std::to_string(job_id) + (attempt > 1 ? "-" + std::to_string(attempt) : "");
  // No extension, or a name that is all extension (".env"): the tag goes at the end.
  if (dot == std::string::npos || dot <= name_at) return path + tag;
  return path.substr(0, dot) + tag + path.substr(dot);
}

}  // namespace og::cli
