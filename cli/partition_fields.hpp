// The columns og-sinfo prints, by sinfo's format letters (-o), and the formats of sinfo's
// -N, -s and -l. A partition of OpenGrid is one provider's offer: one node (a machine),
// or a Slurm cluster's nodes counted as its NODES.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace og::cli {

std::string partition_field(const nlohmann::json& partition, char letter);
std::string partition_header(char letter);

// sinfo sizes some columns to their longest value (%#N); these are its usual widths.
inline constexpr const char* kSinfoNodeFormat = "%-9N %.6D %.9P %-6t";              // -N
inline constexpr const char* kSinfoSummaryFormat = "%-9P %.5a %.10l %.16F %N";       // -s
inline constexpr const char* kSinfoLongFormat = "%9P %.5a %.10l %.10s %.4r %.8h %.10g %.6D %.11T %N";  // -l

}  // namespace og::cli
