// Slurm --begin syntax.
#pragma once

#include <cstdint>
#include <string_view>

namespace og::jobscripts {

// Accepts now, now+N[seconds|minutes|hours|days|weeks], HH:MM[:SS][AM|PM],
// YYYY-MM-DD[THH:MM[:SS]], midnight, noon, teatime (16:00), today and tomorrow.
// Clock times are UTC; a clock time without a date that has already passed today means
// tomorrow (as sbatch). Returns unix seconds. Throws og::UsageError on bad syntax.
int64_t parse_begin_time(std::string_view text, int64_t now_unix);

}  // namespace og::jobscripts
