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

void record_score(Partition& p, double score, int64_t now_us, const ReputationOptions& options) {
  double r = reputation_at(p, now_us, options);
  r += (std::clamp(score, 0.0, 1.0) - r) * options.score_step;
  p.reputation = std::clamp(r, 0.0, 1.0);
  p.reputation_us = now_us;
}

}  // namespace og
