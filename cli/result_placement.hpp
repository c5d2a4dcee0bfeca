// Where each file of a job's accepted result goes in the directory it is fetched into, so
// that no file of the user's is lost: files the job was given and left unchanged are not
// brought back over what is here (an edit made meanwhile stays); a local file is replaced only by the job's version of itself (an input the
// job changed that nobody changed here since); any other local file that differs stays,
// and the job's version is written beside it (data/in.job42.txt). --force replaces.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace og::cli {

enum class Placement {
  kUnchangedInput,  // the job was given it and did not change it, and one is here: left be
  kAlreadyHere,     // the local file is the job's version already
  kWrite,           // written at its own path (new, or replacing what the job was given)
  kBeside,          // written beside the local file, which stays
};

struct ResultFile {
  std::string path;                         // in the result
  std::string sha256;                       // the job's version
  std::optional<std::string> input_sha256;  // the version the job was given, if it was
};

// local_sha256: the local file's digest, nullopt where there is none.
Placement place_result_file(const ResultFile& file, const std::optional<std::string>& local_sha256, bool force);

// "data/in.txt" → "data/in.job42.txt"; "Makefile" → "Makefile.job42"; ".env" → ".env.job42";
// a later attempt, when that name is taken by a file of other contents: "data/in.job42-2.txt".
std::string beside_name(const std::string& path, uint64_t job_id, unsigned attempt = 1);

}  // namespace og::cli
