// Quorum over replica results: a job's result is accepted only when K replicas agree on
// the same outcome and the same output root.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace og {

// What one finished replica says about the job. Replicas lost to infrastructure
// (node failure, cancellation) do not vote.
struct ReplicaVote {
  uint64_t replica_id = 0;
  std::string outcome;  // "COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY"
  int exit_code = 0;
  std::string root;     // manifest root; ignored for TIMEOUT (partial outputs)

  std::string key() const;  // what must match for two votes to agree
};

struct QuorumVerdict {
  enum class Kind { Waiting, Agreed, NoQuorum } kind = Kind::Waiting;
  std::optional<ReplicaVote> canonical;  // set when Agreed
  std::vector<uint64_t> agreeing;        // replica ids behind the canonical vote
};

// quorum 0 means a simple majority of `replicas`. `outstanding` counts replicas still
// running or waiting to run; when no outcome can reach the quorum even if all of them
// agree, the verdict is NoQuorum.
uint32_t effective_quorum(uint32_t replicas, uint32_t quorum);
// `agree` says whether two votes are the same result; unset, their keys must be equal
// (fuzzy verification compares numeric outputs within a tolerance instead).
using VotesAgree = std::function<bool(const ReplicaVote&, const ReplicaVote&)>;
QuorumVerdict decide_quorum(const std::vector<ReplicaVote>& votes, uint32_t quorum_needed,
                            uint32_t outstanding, const VotesAgree& agree = {});

}  // namespace og
