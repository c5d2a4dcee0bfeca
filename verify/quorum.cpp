#include "verify/quorum.hpp"

#include <algorithm>

namespace og {

std::string ReplicaVote::key() const {
  std::string k = outcome + ":" + std::to_string(exit_code);
  if (outcome != "TIMEOUT") k += ":" + root;
  return k;
}

uint32_t effective_quorum(uint32_t replicas, uint32_t quorum) {
  if (quorum > 0) return quorum;
  return replicas / 2 + 1;
}

QuorumVerdict decide_quorum(const std::vector<ReplicaVote>& votes, uint32_t quorum_needed,
                            uint32_t outstanding, const VotesAgree& agree) {
  // Votes in groups of the same result, each group compared through its first vote.
  std::vector<std::vector<const ReplicaVote*>> groups;
  size_t best = 0;
  for (const auto& v : votes) {
    auto same = [&](const ReplicaVote* first) { return agree ? agree(*first, v) : first->key() == v.key(); };
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return same(g.front()); });
    if (group == groups.end()) group = groups.insert(groups.end(), std::vector<const ReplicaVote*>{});
    group->push_back(&v);
    best = std::max(best, group->size());
  }
  QuorumVerdict verdict;
  for (const auto& group : groups) {
    if (group.size() >= quorum_needed) {
      verdict.kind = QuorumVerdict::Kind::Agreed;
      verdict.canonical = *group.front();
      for (const auto* v : group) verdict.agreeing.push_back(v->replica_id);
      return verdict;
    }
  }
  if (best + outstanding < quorum_needed) verdict.kind = QuorumVerdict::Kind::NoQuorum;
  return verdict;
}

}  // namespace og
