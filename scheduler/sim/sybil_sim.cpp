#include "scheduler/sim/sybil_sim.hpp"

#include <map>
#include <random>

#include "scheduler/escrow.hpp"
#include "scheduler/placement.hpp"

namespace og::sim {
namespace {

constexpr int64_t kHonestPrice = 100'000;  // per CPU-hour
constexpr int64_t kHourUs = 3'600'000'000;

// One defence: how the attacker's partitions are registered, how replicas are placed and
// what a slash needs.
struct Defence {
  std::string name;
  bool one_credential = false;  // the attacker registers all k partitions under one credential
  bool merge_allowed = false;   // ... and, as before, each counts as a provider of its own
  bool weighted = false;        // --placement weighted (else cheapest first)
  uint32_t slash_witnesses = 0; // established confirmations a slash needs (0: any quorum)
  bool attacker_established = false;  // its identities have earned trust (a patient attacker)
};

class Mesh {
 public:
  Mesh(const SybilSimParams& p, const Defence& d, uint64_t seed) : p_(p), d_(d), rng_(seed) {
    for (uint32_t i = 0; i < p.honest; ++i) add("honest-" + std::to_string(i), "h" + std::to_string(i), kHonestPrice, true);
    int64_t price = std::max<int64_t>(1, static_cast<int64_t>(kHonestPrice * p.price_ratio));
    for (uint32_t i = 0; i < p.sybils; ++i) {
      // Merging (the old rule) is modelled as what it allowed: each partition counted as
      // a provider of its own, whoever registered it.
      std::string owner = d.one_credential && !d.merge_allowed ? "attacker" : "sybil" + std::to_string(i);
      add("sybil-" + std::to_string(i), owner, price, d.attacker_established);
    }
    job_.spec.replicas = p.replicas;
    job_.spec.quorum = p.replicas / 2 + 1;
    job_.spec.max_price_micros = kHonestPrice;
    job_.spec.time_limit_s = 3600;
  }

  // Places one job, plays it out, and says whether the forgery won and whether an honest
  // provider was slashed.
  std::pair<bool, bool> run_job() {
    PlacementRequest request;
    request.count = p_.replicas;
    if (d_.weighted) request.draw = [this] { return std::uniform_real_distribution<double>(0, 1)(rng_); };
    auto placed = place_replicas(job_, partitions_, request);
    if (placed.chosen.size() != p_.replicas) return {false, false};
    uint32_t held = 0;
    for (const Partition* part : placed.chosen) held += part->name.rfind("sybil", 0) == 0;
    bool forge = held >= job_.spec.quorum;  // else it answers honestly: nothing to win
    std::vector<Replica> replicas(placed.chosen.size());
    std::vector<SettledReplica> settled;
    for (size_t i = 0; i < placed.chosen.size(); ++i) {
      const Partition& part = *placed.chosen[i];
      bool sybil = part.name.rfind("sybil", 0) == 0;
      Replica& r = replicas[i];
      r.id = i + 1;
      r.state = ReplicaState::Done;
      r.outcome = "COMPLETED";
      r.root = forge && sybil ? "forged" : "true";
      r.price_micros = part.price_micros;
      r.end_us = kHourUs / 60;
      SettledReplica sr{&r, part.owner, p_.bond_micros, r.root == (forge ? "forged" : "true")};
      sr.established = part.valid_streak >= economics_.established_after;
      settled.push_back(sr);
    }
    Job job = job_;
    job.state = JobState::Completed;
    job.canonical_replica = 1;
    for (const auto& sr : settled)
      if (sr.agrees) job.canonical_replica = sr.replica->id;
    economics_.slash_witnesses = d_.slash_witnesses;
    Settlement s = plan_settlement(job, settled, kHourUs, economics_);
    bool honest_slashed = false;
    for (const auto& who : s.slashed) honest_slashed |= who.rfind("h", 0) == 0;
    return {forge, honest_slashed};
  }

 private:
  void add(const std::string& name, const std::string& owner, int64_t price, bool established) {
    Partition& part = partitions_[name];
    part.name = name;
    part.owner = owner;
    part.cpus = 1;
    part.memory_mb = 1024;
    part.price_micros = price;
    part.valid_streak = established ? economics_.established_after : 0;
  }

  const SybilSimParams& p_;
  const Defence& d_;
  std::mt19937_64 rng_;
  std::map<std::string, Partition> partitions_;
  EconomicsOptions economics_;
  Job job_;
};

}  // namespace

SybilSimReport simulate_sybils(const SybilSimParams& params) {
  const std::vector<Defence> defences = {
      {"before: one credential, k partitions under one bond, cheapest first, a majority slashes", true, true, false, 0, false},
      {"a replica per credential, a bond per partition", true, false, false, 0, false},
      {"k Sybil credentials, cheapest first, a majority slashes", false, false, false, 0, false},
      {"k Sybil credentials, weighted random placement", false, false, true, 0, false},
      {"... and a slash needs 2 established witnesses (new Sybils)", false, false, true, 2, false},
      {"... the same against patient Sybils that earned trust first", false, false, true, 2, true},
  };
  SybilSimReport report;
  report.capacity_share = static_cast<double>(params.sybils) / (params.sybils + params.honest);
  for (const Defence& d : defences) {
    Mesh mesh(params, d, params.seed);
    uint64_t forged = 0, slashed = 0;
    for (uint64_t i = 0; i < params.jobs; ++i) {
      auto [f, s] = mesh.run_job();
      forged += f;
      slashed += s;
    }
    // One bond covered any number of partitions before; now each partition has its own.
    int64_t bond = d.merge_allowed ? params.bond_micros : params.bond_micros * params.sybils;
    report.rows.push_back({d.name, static_cast<double>(forged) / params.jobs,
                           static_cast<double>(slashed) / params.jobs, bond});
  }
  return report;
}

}  // namespace og::sim
