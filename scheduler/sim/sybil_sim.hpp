// og-sim --sybil: an attacker with k identities among honest providers tries to capture
// replicated jobs' quorums, playing og-schedd's own placement (placement.hpp) and
// settlement (escrow.hpp) under each defence in turn. It forges a job's result whenever
// it holds a quorum of its replicas (and answers honestly otherwise, to keep its bonds
// and reputation). Reported per defence: how often a forged result is accepted, and how
// often an honest provider is slashed for disagreeing with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace og::sim {

struct SybilSimParams {
  uint32_t honest = 20;        // honest providers, one partition and credential each
  uint32_t sybils = 2;         // the attacker's identities (k)
  uint32_t replicas = 3;       // what each job asks for; quorum: a majority
  uint64_t jobs = 100'000;
  uint64_t seed = 1;
  int64_t bond_micros = 10'000'000;  // per partition (og-schedd --min-bond)
  // The attacker undercuts: its asking price over the honest providers'.
  double price_ratio = 0.1;
};

struct SybilDefenceResult {
  std::string defence;
  double forged_accepted = 0;  // share of jobs whose accepted result is the attacker's forgery
  double honest_slashed = 0;   // share of jobs in which an honest provider lost bond
  int64_t attacker_bond_micros = 0;  // what the attacker has at stake
};

struct SybilSimReport {
  double capacity_share = 0;  // the attacker's share of the offers (s = k / (k + honest))
  std::vector<SybilDefenceResult> rows;
};

SybilSimReport simulate_sybils(const SybilSimParams& params);

}  // namespace og::sim
