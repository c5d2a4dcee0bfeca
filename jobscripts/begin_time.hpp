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

// The same forms for a time looked back to, as sacct reads -S/-E: a clock time without a
// date is the last time the clock showed it (08:00 before eight is yesterday's), midnight
// is today's, and now-N[unit] counts back.
int64_t parse_past_time(std::string_view text, int64_t now_unix);

}  // namespace og::jobscripts
