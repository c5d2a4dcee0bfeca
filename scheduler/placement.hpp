// Placement: which partitions may run a job's next replicas. A job fits a partition when
// the partition is UP, has the free CPUs, memory and GPUs the job asks for, has the
// features it needs, matches a requested partition name, and asks no more than the job's
// maximum price. Among those that fit, the order book ranks offers: cheapest for this job
// first, then the better reputation, then the least loaded.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "jobscripts/constraint.hpp"
#include "scheduler/model.hpp"

namespace og {

struct PlacementResult {
  std::vector<Partition*> chosen;  // empty when the job cannot start now
  std::string reason;              // why not, in og-squeue's vocabulary
  // Enough matching offers are up but busy now: the job will start when work ends.
  // (False when no offer could ever hold it: such a job holds up no one.)
  bool busy = false;
};

struct PlacementRequest {
  uint32_t count = 1;  // exactly this many partitions, or none
  // Partitions that already hold a replica of this job, and who answers for them
  // (identities_of): one credential (or declared operator) never holds two replicas of
  // one job.
  std::set<std::string> exclude;
  std::set<std::string> exclude_operators;
  // Only providers with this many confirmed results in a row (an audit's established ones).
  uint32_t min_valid_streak = 0;
  // Whether the job may start on this partition now (backfill: not if it would delay a
  // reservation). Unset: always.
  std::function<bool(const Partition&)> admit;
  // Set (a uniform draw in [0, 1)): the replicas of a replicated job go to offers drawn at
  // random among all that fit and are priced within the job's maximum, weighted by
  // reputation — not cheapest first, so that underpricing cannot buy a job's majority.
  // Unset, or one replica: the order book's cheapest-first ranking.
  std::function<double()> draw;
};

// Whether a partition's offer matches a job, whatever is allocated on it now. The job's
// constraint and partition list are parsed once, not once per partition.
class OfferMatcher {
 public:
  explicit OfferMatcher(const JobSpec& spec);
  // Resources, features and partition name: whether it could ever hold the job.
  bool can_hold(const Partition& p) const;
  bool price_ok(const Partition& p) const;
  // Whether its worker may pull the job's image and data (jail, registries allowed).
  bool pulls_from(const Partition& p) const;
  bool can_hold_ignoring_registries(const Partition& p) const;
  // ... were its GPUs of the model, memory and driver the job asks for.
  bool can_hold_ignoring_gpu_kind(const Partition& p) const;
  // Whether a validator partition could score the job (--verify=score): its resources,
  // features, isolation, GPUs and registries, as for running it; no network, any price.
  bool can_validate(const Partition& p) const;
  // How many of the job's image and data digests its worker holds already.
  size_t cached_on(const Partition& p) const;

 private:
  bool holds(const Partition& p, bool registries, bool gpus, bool validating = false) const;
  const JobSpec& spec_;
  std::vector<std::string> registries_;  // of the job's image and data sets
  bool reads_results_ = false;           // --data NAME=job:ID: mounted by the jail
  std::vector<std::string> digests_;
  std::vector<std::string> partitions_;  // -p: one name, or several (any of them)
  std::optional<jobscripts::Constraint> constraint_;
  bool valid_ = true;  // a constraint that no longer parses fits nothing
};

// Who answers for a partition: the credential that registered it (its owner; the
// partition itself when it has none, as in tests) and the operator it declares, if any.
// A self-declared operator can only split replicas further apart, never merge them: a
// credential that registers many partitions is one provider, whatever they declare.
std::vector<std::string> identities_of(const Partition& p);
// Whether p answers to any identity in `taken`.
bool shares_identity(const std::set<std::string>& taken, const Partition& p);
// The one-replica-per-provider rule as offers are taken best first: whether p shares no
// identity with those taken so far (recorded in `seen` when it does not).
bool first_of_its_operator(std::set<std::string>& seen, const Partition& p);

class OrderBook;

// With a book, a job it applies to is placed from the book; the full look at every
// partition is left for working out why a job cannot start.
PlacementResult place_replicas(const Job& job, std::map<std::string, Partition>& partitions,
                               const PlacementRequest& request, OrderBook* book = nullptr);
// The common case: no operators to avoid, nothing to admit.
PlacementResult place_replicas(const Job& job, std::map<std::string, Partition>& partitions,
                               const std::set<std::string>& exclude, uint32_t count);

// Whether a partition could ever hold the job (ignoring what is allocated now and price).
bool partition_can_hold(const Partition& p, const JobSpec& spec);
// "" when some known partition (of those -p names, any state) has the job's shape —
// nodes, CPUs, memory, GPUs and their type, features; else what none of them has, against
// what the job asks for ("it asks for 8 CPUs; the most a partition offers is 2"), as sbatch
// refuses a job no node could ever run. Isolation, network and price are not shape: a job
// waits for a provider that offers them.
std::string why_none_can_hold(const JobSpec& spec, const std::map<std::string, Partition>& partitions);
// CPUs a job holds on a partition: all of them when it runs --exclusive.
uint32_t cpus_taken(const Partition& p, const JobSpec& spec);
// What a replica started at start_us holds: the whole partition when --exclusive.
Allocation allocation_for(const Partition& p, const JobSpec& spec, int64_t start_us);
// What one replica costs per hour on the partition, in micro-units: its CPUs, and its GPUs
// at their models' prices — those of `gpu_mask` (what it was given), else those it would
// be given now.
int64_t hourly_rate_micros(const Partition& p, const JobSpec& spec, std::optional<uint64_t> gpu_mask = std::nullopt);
// A partition's price per GPU-hour for a model (og-worker --gpu-price h100=2.40,...).
int64_t gpu_price_of(const Partition& p, const std::string& model);
// How many of p's GPUs could serve the job: of its model (--gres=gpu:TYPE), memory
// (--gpu-mem) and driver (--cuda); `priced`: within its --max-gpu-price; `free_only`: not
// held now. A bare count serves jobs that ask for its type or none, and no memory.
uint32_t gpus_serving(const Partition& p, const JobSpec& spec, bool priced, bool free_only);
// GRES as sinfo shows it: "gpu:h100:8", "gpu:a100:2,gpu:h100:1", "(null)" without GPUs.
std::string gres_of(const Partition& p);
// What a job asks of GPUs, for a pending reason: "gpu:h100:2,gpu-mem>=81920M,cuda>=12.4".
std::string gpus_asked(const JobSpec& spec);
// Whether the allocation fits in what the partition has free now.
bool has_room(const Partition& p, const Allocation& a);
// Whether the job could start on the partition now, resources only (--exclusive: idle).
bool fits_now(const Partition& p, const JobSpec& spec);
// An offer's weight in a weighted draw: its reputation, with a floor so that a newcomer
// still gets work.
double placement_weight(const Partition& p);
// Among offers equally priced and reputed: the less loaded first, then by name.
bool less_loaded(const Partition* a, const Partition* b);

}  // namespace og
