#include "scheduler/sim/validator_sim.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace og::sim {
namespace {

enum class Role { Honest, Lazy, Colluding };

struct Strategy {
  const char* name;
  Role replica;    // provider 0's behaviour
  Role validator;  // validator 0's behaviour
  // Which of them the actor is (its profit counted): the roles the strategy plays, also
  // when playing them honestly for the comparison.
  bool has_replica = true, has_validator = true;
};

Strategy played_honestly(const Strategy& s) { return {"", Role::Honest, Role::Honest, s.has_replica, s.has_validator}; }

// One actor identity's record: it plays until caught, then a fresh one takes its place
// (a new bond), so slashes are spread over the jobs an identity gets through.
struct Identity {
  uint64_t jobs = 0;
  bool caught = false;
};

class World {
 public:
  World(const ValidatorSimParams& p, const Strategy& s, uint64_t seed) : p_(p), s_(s), rng_(seed) {
    validation_pay_ = validation_compute() / (1 - p.validator_margin);
  }

  // Runs the jobs; fills the strategy's row (gain against `honest_profit`, per job of the actor).
  StrategyResult run(double honest_profit) {
    StrategyResult row;
    row.strategy = s_.name;
    for (uint64_t j = 0; j < p_.jobs; ++j) job();
    row.gain_per_job = participations_ ? profit_ / double(participations_) - honest_profit : 0;
    uint64_t finished = 0, caught_early = 0, caught = 0, jobs_to_catch = 0;
    for (const auto& id : identities_) {
      if (!id.caught && id.jobs < p_.horizon) continue;  // still young when the run ended
      ++finished;
      if (id.caught && id.jobs <= p_.horizon) ++caught_early;
      if (id.caught) ++caught, jobs_to_catch += id.jobs;
    }
    row.caught_within_horizon = finished ? double(caught_early) / double(finished) : 0;
    row.mean_jobs_to_catch = caught ? double(jobs_to_catch) / double(caught) : 0;
    row.honest_unpaid = honest_runs_ ? double(honest_unpaid_) / double(honest_runs_) : 0;
    row.wrong_accepted = participations_ ? double(wrong_) / double(participations_) : 0;
    return row;
  }

  double actor_profit_per_job() const { return participations_ ? profit_ / double(participations_) : 0; }
  double validation_overhead() const { return validation_compute_ / replica_compute_; }
  double below_threshold() const { return double(refused_) / double(p_.jobs); }

 private:
  double validation_compute() const { return p_.validation_cost * p_.replica_cost * p_.replicas; }
  double unit() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  uint32_t pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
  // n distinct of [0, size), in random order.
  std::vector<uint32_t> distinct(uint32_t size, uint32_t n, const std::vector<uint32_t>& besides = {}) {
    std::vector<uint32_t> all;
    for (uint32_t i = 0; i < size; ++i)
      if (std::find(besides.begin(), besides.end(), i) == besides.end()) all.push_back(i);
    for (uint32_t i = 0; i < n; ++i) std::swap(all[i], all[i + pick(uint32_t(all.size()) - i)]);
    all.resize(n);
    return all;
  }

  Identity& actor() {
    if (identities_.empty() || identities_.back().caught) identities_.emplace_back();
    return identities_.back();
  }

  // A validator's scores of the replicas' outputs (true qualities q).
  std::vector<double> score(uint32_t validator, const std::vector<uint32_t>& runners, const std::vector<double>& q) {
    std::vector<double> s(q.size());
    Role role = validator == 0 ? s_.validator : Role::Honest;
    bool partner_ran = std::find(runners.begin(), runners.end(), 0u) != runners.end();
    for (size_t i = 0; i < q.size(); ++i) {
      if (role == Role::Lazy) s[i] = unit();  // without running anything
      else if (role == Role::Colluding && partner_ran && runners[i] == 0) s[i] = 1.0;  // the others truly: paid, unalarmed
      else s[i] = std::clamp(q[i] + std::normal_distribution<double>(0, 0.03)(rng_), 0.0, 1.0);
    }
    return s;
  }

  void job() {
    const uint32_t r = p_.replicas;
    std::vector<uint32_t> runners = distinct(p_.providers, r);
    std::vector<double> quality(r);
    for (uint32_t i = 0; i < r; ++i) {
      bool lazy = runners[i] == 0 && s_.replica != Role::Honest;
      quality[i] = lazy ? 0.3 * unit() : 0.6 + 0.4 * unit();
      replica_compute_ += p_.replica_cost;
    }
    // Validators: the first, a second now and then, a third when those two disagree.
    std::vector<uint32_t> chosen = distinct(p_.validators, 1);
    std::vector<std::vector<double>> scores{score(chosen[0], runners, quality)};
    // A second opinion at random, and always before a replica goes unpaid on one word.
    bool low = std::any_of(scores[0].begin(), scores[0].end(), [&](double x) { return x < p_.threshold; });
    if ((p_.check_low && low) || unit() < p_.second_opinion) {
      chosen.push_back(distinct(p_.validators, 1, chosen)[0]);
      scores.push_back(score(chosen.back(), runners, quality));
    }
    auto apart = [&](const std::vector<double>& a, const std::vector<double>& b) {
      for (uint32_t i = 0; i < r; ++i)
        if (std::fabs(a[i] - b[i]) > p_.tolerance) return true;
      return false;
    };
    if (scores.size() == 2 && apart(scores[0], scores[1])) {
      chosen.push_back(distinct(p_.validators, 1, chosen)[0]);
      scores.push_back(score(chosen.back(), runners, quality));
    }
    validation_compute_ += validation_compute() * double(chosen.size());
    std::vector<double> final(r);
    for (uint32_t i = 0; i < r; ++i) {
      std::vector<double> column;
      for (const auto& s : scores) column.push_back(s[i]);
      std::sort(column.begin(), column.end());
      final[i] = column.size() == 2 ? (column[0] + column[1]) / 2 : column[column.size() / 2];
    }
    const bool confirmed = scores.size() >= 2;  // by two validators who agree
    // What the actor gets and loses in this job, each of its roles counted.
    bool actor_in = false;
    double profit = 0;
    bool caught = false;
    for (size_t k = 0; k < chosen.size(); ++k) {
      bool out_of_line = scores.size() == 3 && apart(scores[k], final);
      if (chosen[k] != 0 || !s_.has_validator) continue;
      actor_in = true;
      profit += out_of_line ? -p_.validator_slash : validation_pay_;
      if (s_.validator == Role::Honest) profit -= validation_compute();
      caught |= out_of_line && s_.validator != Role::Honest;
    }
    uint32_t best = uint32_t(std::max_element(final.begin(), final.end()) - final.begin());
    bool accepted = final[best] >= p_.threshold;
    if (!accepted) ++refused_;
    for (uint32_t i = 0; i < r; ++i) {
      bool paid = final[i] >= p_.threshold, slashed = !paid && confirmed;
      if (runners[i] != 0 || s_.replica == Role::Honest) {  // an honest provider's run
        ++honest_runs_;
        if (!paid) ++honest_unpaid_;
      }
      if (runners[i] != 0 || !s_.has_replica) continue;
      actor_in = true;
      profit += (paid ? 1.0 : 0.0) - (slashed ? p_.replica_slash : 0.0);
      if (s_.replica == Role::Honest) profit -= p_.replica_cost;
      caught |= slashed && s_.replica != Role::Honest;
    }
    if (!actor_in) return;
    ++participations_;
    profit_ += profit;
    if (accepted && quality[best] < p_.threshold) ++wrong_;
    Identity& id = actor();
    ++id.jobs;
    id.caught = caught;
  }

  const ValidatorSimParams& p_;
  Strategy s_;
  std::mt19937_64 rng_;
  double validation_pay_ = 0;
  double profit_ = 0, replica_compute_ = 0, validation_compute_ = 0;
  uint64_t participations_ = 0, wrong_ = 0, refused_ = 0, honest_runs_ = 0, honest_unpaid_ = 0;
  std::vector<Identity> identities_;
};

}  // namespace

ValidatorSimReport simulate_validators(const ValidatorSimParams& params) {
  ValidatorSimReport report;
  const Strategy strategies[] = {
      {"lazy replica (random output)", Role::Lazy, Role::Honest, true, false},
      {"lazy validator (random scores)", Role::Honest, Role::Lazy, false, true},
      {"colluding pair (lazy replica + validator scoring it 1, the others truly)", Role::Lazy, Role::Colluding, true, true}};
  World honest(params, {"honest (everyone)", Role::Honest, Role::Honest, true, true}, params.seed);
  report.rows.push_back(honest.run(0));
  report.rows.back().gain_per_job = 0;  // against itself, by definition
  report.validation_overhead = honest.validation_overhead();
  report.below_threshold = honest.below_threshold();
  uint64_t seed = params.seed;
  for (const auto& s : strategies) {
    // The same roles played honestly, in a world of its own: what the strategy gives up.
    World counterpart(params, played_honestly(s), ++seed);
    counterpart.run(0);
    World w(params, s, ++seed);
    report.rows.push_back(w.run(counterpart.actor_profit_per_job()));
  }
  return report;
}

}  // namespace og::sim
