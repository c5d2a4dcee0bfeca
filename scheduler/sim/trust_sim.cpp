#include "scheduler/sim/trust_sim.hpp"

#include <cmath>
#include <optional>
#include <random>
#include <vector>

namespace og::sim {
namespace {

struct Provider {
  Partition partition;  // its valid_streak is the trust og-schedd keeps
  bool cheater = false;
  uint64_t jobs = 0;
  bool caught = false;
  uint64_t caught_after = 0;
};

class World {
 public:
  World(const TrustSimParams& p, uint32_t providers, uint32_t cheaters, uint64_t seed)
      : p_(p), rng_(seed), providers_(providers) {
    for (uint32_t i = 0; i < cheaters && i < providers; ++i) providers_[i].cheater = true;
  }

  // One job: returns the replica runs it took; `wrong` when a false result was accepted.
  uint32_t run_job(bool& wrong) {
    std::vector<Provider*> order;  // best offer first: providers are equal, so at random
    std::vector<uint32_t> idx(providers_.size());
    for (uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
    for (uint32_t i = 0; i < p_.replicas + 1 && i < idx.size(); ++i) {
      std::swap(idx[i], idx[i + pick(uint32_t(idx.size()) - i)]);
      order.push_back(&providers_[idx[i]]);
    }
    std::vector<Partition*> chosen;
    for (uint32_t i = 0; i < p_.replicas && i < order.size(); ++i) chosen.push_back(&order[i]->partition);
    Job job;
    job.spec.replicas = p_.replicas;
    uint32_t keep = adaptive_replica_count(job, chosen, p_.adaptive, unit_(rng_));
    // Answers: 0 is the truth; a cheater answers falsely (each differently) at its rate.
    std::vector<std::pair<Provider*, uint64_t>> answers;
    for (uint32_t i = 0; i < keep; ++i) answers.push_back({order[i], answer(*order[i])});
    uint32_t runs = keep;
    if (keep == 1) {
      wrong = answers[0].second != 0;  // accepted unverified
      return runs;
    }
    auto majority = majority_of(answers, keep / 2 + 1);
    if (!majority && order.size() > keep) {  // disagreement: a third opinion
      answers.push_back({order[keep], answer(*order[keep])});
      ++runs;
      majority = majority_of(answers, 2);
    }
    if (!majority) return runs;  // no quorum: nobody is proven anything
    wrong = *majority != 0;
    for (auto& [prov, a] : answers) {
      if (a == *majority) {
        ++prov->partition.valid_streak;
      } else {
        prov->partition.valid_streak = 0;
        if (prov->cheater && !prov->caught) {
          prov->caught = true;
          prov->caught_after = prov->jobs;
        }
      }
    }
    return runs;
  }

  std::vector<Provider>& providers() { return providers_; }

 private:
  uint32_t pick(uint32_t n) { return uint32_t(rng_() % n); }
  uint64_t answer(Provider& prov) {
    ++prov.jobs;
    return prov.cheater && unit_(rng_) < p_.cheat_rate ? ++lies_ : 0;
  }
  static std::optional<uint64_t> majority_of(const std::vector<std::pair<Provider*, uint64_t>>& answers, size_t need) {
    for (const auto& [x, a] : answers) {
      size_t same = 0;
      for (const auto& [y, b] : answers) same += a == b;
      if (same >= need) return a;
    }
    return std::nullopt;
  }

  const TrustSimParams& p_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  std::vector<Provider> providers_;
  uint64_t lies_ = 0;
};

}  // namespace

TrustSimReport simulate_trust(const TrustSimParams& p) {
  TrustSimReport r;
  // Cost: a mixed population over many jobs.
  World world(p, p.providers, p.cheaters, p.seed);
  uint64_t runs = 0, steady_runs = 0, wrong = 0;
  for (uint64_t j = 0; j < p.jobs; ++j) {
    bool w = false;
    uint32_t n = world.run_job(w);
    runs += n;
    if (j >= p.jobs / 2) steady_runs += n;
    wrong += w;
  }
  r.overhead = double(runs) / double(p.jobs);
  r.steady_overhead = double(steady_runs) / double(p.jobs - p.jobs / 2);
  r.wrong_accepted = double(wrong) / double(p.jobs);
  // Detection: one cheater among honest providers, again and again, until it has had
  // `horizon` jobs (or was caught).
  uint64_t caught = 0, caught_jobs = 0;
  for (uint32_t life = 0; life < p.lifetimes; ++life) {
    World lone(p, p.providers, 1, p.seed * 7919 + life);
    Provider& cheater = lone.providers()[0];
    while (!cheater.caught && cheater.jobs < p.horizon) {
      bool w = false;
      lone.run_job(w);
    }
    if (cheater.caught && cheater.caught_after <= p.horizon) {
      ++caught;
      caught_jobs += cheater.caught_after;
    }
  }
  r.caught_within_horizon = double(caught) / double(p.lifetimes);
  r.mean_jobs_to_catch = caught ? double(caught_jobs) / double(caught) : 0;
  r.analytic_escape = std::pow(1.0 - p.cheat_rate * p.adaptive.spot_check, double(p.horizon));
  return r;
}

}  // namespace og::sim
