// Checkpoints og-schedd keeps so that a replica replacing a lost one can resume: a job's
// verified milestone file, asked of the worker that completed the quorum, up to this size.
#pragma once

#include <cstdint>

namespace og {

inline constexpr uint64_t kMaxCheckpointBytes = 64ull << 20;

}  // namespace og
