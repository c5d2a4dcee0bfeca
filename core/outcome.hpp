// How one run of a job (a replica) ended: one type for og-worker, which reports it, and
// og-schedd, which reads it. A run stopped because og-schedd asked is Cancelled; a run the
// provider gives back — its worker stopping, its sandbox or Slurm failing it, a node
// lost — is HandedBack, with a reason, and og-schedd runs the job elsewhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace og {

enum class Outcome { Completed, Failed, Timeout, OutOfMemory, Cancelled, HandedBack };

// On the wire: "COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY", "CANCELLED", "HANDED_BACK".
std::string_view to_string(Outcome outcome);
std::optional<Outcome> outcome_from_string(std::string_view text);
// Whether the run produced outputs worth hashing and reporting.
inline bool has_outputs(Outcome o) { return o != Outcome::Cancelled && o != Outcome::HandedBack; }

}  // namespace og
