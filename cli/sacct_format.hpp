// sacct's --format: the columns og-sacct prints, by sacct's field names (any case), each
// with sacct's width unless given as NAME%WIDTH.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace og::cli {

struct SacctColumn {
  std::string name;  // as sacct spells it in its header ("JobID")
  size_t width;
};

// "jobid,jobname%20,state": throws UsageError naming a field sacct does not know here,
// with the names that work.
std::vector<SacctColumn> parse_sacct_format(const std::string& format);

// A column's value for one job (og-schedd's job view).
std::string sacct_value(const nlohmann::json& job, const SacctColumn& column);

// The field names, for --helpformat.
std::string sacct_field_names();

// og-sacct's columns when --format is not given.
inline constexpr const char* kDefaultSacctFormat =
    "JobID,JobName,Partition,Account,State%13,ExitCode,Elapsed,NodeList%24";

}  // namespace og::cli
