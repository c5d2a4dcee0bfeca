// Slurm memory-size syntax (--mem, --mem-per-cpu).
#pragma once

#include <cstdint>
#include <string_view>

namespace og::jobscripts {

// "N[K|M|G|T]" (suffix case-insensitive, default M). Returns MiB; K rounds up to a whole
// MiB so a request is never silently shrunk. Throws og::UsageError on bad syntax.
uint64_t parse_memory_mb(std::string_view text);

}  // namespace og::jobscripts
