// Slurm -d/--dependency syntax.
#pragma once

#include <string_view>

namespace og::jobscripts {

// Accepts after:ID[+minutes][:ID[+minutes]...], afterany/afterok/afternotok/
// afterburstbuffer/aftercorr:ID[:ID...] and singleton, joined by ',' (all of) or '?'
// (any of) but not both. IDs may name an array task (123_4) or all of them (123_*).
// Throws og::UsageError on bad syntax; it does not check that the jobs exist.
void validate_dependency(std::string_view text);

}  // namespace og::jobscripts
