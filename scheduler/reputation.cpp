#include "scheduler/reputation.hpp"

#include <algorithm>
#include <cmath>

namespace og {

double reputation_at(const Partition& p, int64_t now_us, const ReputationOptions& options) {
  if (p.reputation_us == 0 || options.half_life_s <= 0 || now_us <= p.reputation_us) return p.reputation;
  double halvings = double(now_us - p.reputation_us) / (double(options.half_life_s) * 1e6);
  return 0.5 + (p.reputation - 0.5) * std::exp2(-halvings);
}

void record_reputation(Partition& p, ReputationEvent event, int64_t now_us, const ReputationOptions& options) {
  double r = reputation_at(p, now_us, options);
  switch (event) {
    case ReputationEvent::Verified: r += (1 - r) * options.verified_step; break;
    case ReputationEvent::Error: r -= r * options.error_step; break;
    case ReputationEvent::Invalid: r *= options.invalid_factor; break;
  }
  p.reputation = std::clamp(r, 0.0, 1.0);
  p.reputation_us = now_us;
}

double score_reputation_target(double score, double threshold) {
  score = std::clamp(score, 0.0, 1.0);
  if (threshold <= 0 || threshold >= 1) return score;
  // Scores are on each job's own scale (an LLM's token probabilities are tenths at best):
  // what counts is where a score stands against the job's threshold.
  if (score >= threshold) return 0.6 + 0.4 * (score - threshold) / (1 - threshold);
  return 0.5 * score / threshold;
}

void record_score(Partition& p, double score, double threshold, int64_t now_us, const ReputationOptions& options) {
  double r = reputation_at(p, now_us, options);
  r += (score_reputation_target(score, threshold) - r) * options.score_step;
  p.reputation = std::clamp(r, 0.0, 1.0);
  p.reputation_us = now_us;
}

}  // namespace og
