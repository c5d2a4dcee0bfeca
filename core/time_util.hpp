// Clocks and time formats: monotonic for durations, UTC ISO-8601 on the wire.
#pragma once

#include <cstdint>
#include <string>

namespace og {

int64_t now_unix_us();
inline int64_t now_unix_s() { return now_unix_us() / 1000000; }
int64_t monotonic_us();
std::string iso8601_utc(int64_t unix_s);       // 2026-11-25T20:04:29Z
std::string iso8601_utc_us(int64_t unix_us);   // 2026-11-25T20:04:29.123456Z
// Slurm's elapsed-time format: [D-]HH:MM:SS, or M:SS under an hour as squeue prints.
std::string format_elapsed(int64_t seconds, bool squeue_style);

}  // namespace og
