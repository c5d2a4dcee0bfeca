// Slurm time-limit syntax (-t/--time).
#pragma once

#include <cstdint>
#include <string_view>

namespace og::jobscripts {

// Accepts M, M:S, H:M:S, D-H, D-H:M, D-H:M:S and UNLIMITED/INFINITE/-1. Returns seconds,
// or og::kTimeUnlimited for the unlimited forms and for zero (Slurm: "a time limit of
// zero requests that no time limit be imposed"). Throws og::UsageError on bad syntax.
int64_t parse_time_limit(std::string_view text);

}  // namespace og::jobscripts
