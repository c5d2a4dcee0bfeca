// Slurm -d/--dependency syntax.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace og::jobscripts {

struct DependencyTarget {
  uint64_t job_id = 0;
  int64_t array_task = -1;   // 123_4 → 4; -1 when the id names a whole job
  bool all_tasks = false;    // 123_*
  int64_t delay_minutes = 0; // after:123+10
};

struct DependencyTerm {
  enum class Kind { After, AfterAny, AfterOk, AfterNotOk, AfterCorr, AfterBurstBuffer, Singleton };
  Kind kind = Kind::AfterAny;
  std::vector<DependencyTarget> targets;  // empty for singleton
};

struct DependencySpec {
  bool any_of = false;  // '?' joins terms: one satisfied term is enough
  std::vector<DependencyTerm> terms;
};

// Parses after:ID[+minutes][:ID[+minutes]...], afterany/afterok/afternotok/
// afterburstbuffer/aftercorr:ID[:ID...] and singleton, joined by ',' (all of) or '?'
// (any of) but not both. IDs may name an array task (123_4) or all of them (123_*).
// Throws og::UsageError on bad syntax; it does not check that the jobs exist.
DependencySpec parse_dependency(std::string_view text);
inline void validate_dependency(std::string_view text) { parse_dependency(text); }

}  // namespace og::jobscripts
