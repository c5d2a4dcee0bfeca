#include "scheduler/score_verdict.hpp"

#include <algorithm>
#include <cmath>

namespace og {
namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double score_of(const ValidatorScores& v, uint64_t replica) {
  auto it = v.scores.find(replica);
  return it == v.scores.end() ? 0.0 : it->second;  // a replica it did not score: nothing
}

}  // namespace

ScoreVerdict decide_scores(const std::vector<uint64_t>& replicas, const std::vector<ValidatorScores>& done,
                           uint32_t wanted, double threshold, double tolerance, bool more) {
  ScoreVerdict v;
  wanted = std::clamp<uint32_t>(wanted, 1, kMaxValidators);
  if (done.empty()) more = true;  // nothing to decide on: wait for one
  auto need = [&](uint32_t validators, std::string why) {
    v.validators = validators;
    v.why = std::move(why);
    return v;
  };
  if (done.size() < wanted && more) return need(wanted, "");
  if (done.size() == 1 && more) {
    for (uint64_t r : replicas)
      if (score_of(done[0], r) < threshold) return need(2, "a score below the threshold is confirmed by a second validator");
  } else if (done.size() == 2 && done.size() < kMaxValidators) {  // one of them is wrong: always a third
    for (uint64_t r : replicas)
      if (std::abs(score_of(done[0], r) - score_of(done[1], r)) > tolerance)
        return need(3, "two validators disagree: a third decides");
  }
  v.decided = true;
  for (uint64_t r : replicas) {
    std::vector<double> given;
    for (const auto& d : done) given.push_back(score_of(d, r));
    v.scores[r] = median(given);
  }
  for (const auto& d : done)
    for (uint64_t r : replicas)
      if (std::abs(score_of(d, r) - v.scores[r]) > tolerance) v.out_of_line.insert(d.lease);
  double best = -1;
  for (uint64_t r : replicas) {
    double s = v.scores[r];
    if (s >= threshold && s > best) {
      best = s;
      v.best = r;
    }
    if (s >= threshold) continue;
    size_t low = std::count_if(done.begin(), done.end(), [&](const ValidatorScores& d) {
      return !v.out_of_line.count(d.lease) && score_of(d, r) < threshold;
    });
    if (low >= 2) v.proven_low.insert(r);
  }
  return v;
}

nlohmann::json verdict_json(const ScoreVerdict& v) {
  nlohmann::json scores = nlohmann::json::object();
  for (const auto& [lease, score] : v.scores) scores[std::to_string(lease)] = score;
  return {{"scores", scores}, {"out_of_line", v.out_of_line}, {"proven_low", v.proven_low}, {"best", v.best}};
}

ScoreVerdict verdict_from_json(const nlohmann::json& c) {
  ScoreVerdict v;
  v.decided = c.contains("scores");
  if (!v.decided) return v;
  for (const auto& [lease, score] : c["scores"].items()) v.scores[std::stoull(lease)] = score.get<double>();
  v.out_of_line = c.value("out_of_line", std::set<uint64_t>{});
  v.proven_low = c.value("proven_low", std::set<uint64_t>{});
  v.best = c.value("best", uint64_t{0});
  return v;
}

}  // namespace og
