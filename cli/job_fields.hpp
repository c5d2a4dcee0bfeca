// The columns og-squeue and og-sacct print, by squeue's format letters.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace og::cli {

std::string job_field(const nlohmann::json& job, char letter);
std::string job_header(char letter);
// Elapsed run time of a job view in seconds (to now while it runs).
int64_t job_elapsed_s(const nlohmann::json& job);

}  // namespace og::cli
