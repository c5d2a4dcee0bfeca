// The verdict of --verify=score from the validators' scores, as a pure function: how many
// validators a job's verdict needs and, once their scores are in, which replica's outputs
// become the result, who is paid and who answers for what.
//   1 validator scores every replica; a second is asked at random (--second-opinion) and
//   always when a replica scores below the threshold: no replica goes unpaid, and no
//   cheat is confirmed, on one validator's word. Two validators who differ on a replica by
//   more than the tolerance bring a third. Each replica's score is then the median of
//   its validators' (the mean of two); a validator off the median by more than the
//   tolerance is out of line (unpaid, slashed, its reputation halved). The best replica
//   at or above the threshold is the result; replicas at or above it are paid; a replica
//   below it on the word of two validators in line is proven lazy (slashed).
// The simulation behind these rules: og-sim --validators (docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace og {

inline constexpr uint32_t kMaxValidators = 3;

struct ValidationOptions {
  double second_opinion = 0.1;  // the share of jobs given to a second validator at random
  double tolerance = 0.15;      // validators whose scores differ by more disagree
  // How long a job whose replicas have reported waits with no validator at work on it
  // (none free, or all it had gave up) before it ends ValidationFailed, its replicas paid.
  int64_t wait_s = 3600;
};

// One validation task's answer: its lease and its score per replica (lease id → [0, 1]).
struct ValidatorScores {
  uint64_t lease = 0;
  std::map<uint64_t, double> scores;
};

struct ScoreVerdict {
  bool decided = false;
  // Not decided: the validators the verdict needs in all, and why more than before.
  uint32_t validators = 0;
  std::string why;
  // Decided: each replica's score (the validators' median), the result (0: none reached
  // the threshold), the validation tasks out of line and the replicas proven below it.
  std::map<uint64_t, double> scores;
  uint64_t best = 0;
  std::set<uint64_t> out_of_line;
  std::set<uint64_t> proven_low;
};

// `replicas`: the replicas scored (lease ids); `done`: the validators' answers so far;
// `wanted`: how many answers the job waits for now (at least 1); `more`: whether another
// validator could still be had (false: the mesh has no other that could score the job, so
// the answers in hand decide — a low score unconfirmed, unpaid but unproven — except
// two that disagree: those wait for a third, one of them being wrong).
ScoreVerdict decide_scores(const std::vector<uint64_t>& replicas, const std::vector<ValidatorScores>& done,
                           uint32_t wanted, double threshold, double tolerance, bool more = true);

// The verdict as the journal keeps it (in the verified or scores_rejected event's context),
// and back: settlement pays by what was decided, whatever the mesh is like by then.
nlohmann::json verdict_json(const ScoreVerdict& v);
ScoreVerdict verdict_from_json(const nlohmann::json& context);

}  // namespace og
