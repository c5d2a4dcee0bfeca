// og-worker join: what a provider needs before its worker registers, done or explained in
// one place — the mesh's terms read, the bond it asks for made available in the provider's
// wallet (from the test faucet where there is one), or the exact way to fund it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "worker/worker_agent.hpp"

namespace og {

struct JoinPlan {
  std::string provider;  // the credential's name (the partition's, unless --name says else)
  bool payments = false;
  int64_t bond_micros = 0;       // what registering will post (0: none asked)
  int64_t deposited_micros = 0;  // drawn from the faucet to cover it
};

// Throws og::UsageError saying what to do when the bond cannot be covered, or when the
// mesh asks more than `max_bond_micros` (--bond).
JoinPlan prepare_to_join(const WorkerOptions& options, std::optional<int64_t> max_bond_micros);

// The lines printed once the partition is registered: what it offers, and where to watch.
std::string joined_summary(const WorkerOptions& options, const JoinPlan& plan);

}  // namespace og
