// A provider's reputation, in [0, 1] with 0.5 neutral: each verified result moves it a
// step toward 1, each score validators give a result a step toward that score, each error (a replica lost, timed out or out of memory where the others
// finished) a step toward 0, and a result proven wrong by a quorum halves it. Between
// events it decays toward neutral with a half-life, so old deeds fade. Matching ranks
// equally priced offers by it (placement.hpp); og-sinfo shows it.
#pragma once

#include <cstdint>

#include "scheduler/model.hpp"

namespace og {

struct ReputationOptions {
  int64_t half_life_s = 7 * 86400;
  double verified_step = 0.05;  // r += (1 - r) × this
  double error_step = 0.10;     // r -= r × this
  double invalid_factor = 0.5;  // r ×= this
  double score_step = 0.10;     // a validators' score: r moves this share of the way to its target
};

enum class ReputationEvent { Verified, Error, Invalid };

// The partition's reputation at now_us, decayed since its last event.
double reputation_at(const Partition& p, int64_t now_us, const ReputationOptions& options);
void record_reputation(Partition& p, ReputationEvent event, int64_t now_us, const ReputationOptions& options);
// --verify=score: a result's score from validators (their median, in [0, 1]) pulls the
// reputation a step toward where that score stands against the job's threshold: from
// 0.6 at the threshold to 1 at a perfect score, and from 0.5 just below it to 0 at none.
double score_reputation_target(double score, double threshold);
void record_score(Partition& p, double score, double threshold, int64_t now_us, const ReputationOptions& options);

}  // namespace og
