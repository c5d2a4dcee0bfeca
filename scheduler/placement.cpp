#include "scheduler/placement.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "core/job_state.hpp"
#include "core/money.hpp"
#include "core/strings.hpp"
#include "scheduler/order_book.hpp"

namespace og {

uint32_t cpus_taken(const Partition& p, const JobSpec& spec) {
  return spec.exclusive ? p.cpus : spec.total_cpus();
}

namespace {

bool driver_runs(const Partition& p, const JobSpec& spec) {
  return spec.cuda.empty() || (!p.gpu->cuda_version.empty() && compare_versions(p.gpu->cuda_version, spec.cuda) >= 0);
}

// Whether GPU g of p may serve the job: its model, its memory and, when `priced`, its
// price against the job's maximum.
bool serves(const Partition& p, const GpuDevice& g, const JobSpec& spec, bool priced) {
  if (!spec.gpu_type.empty() && !same_gpu_model(spec.gpu_type, g.model)) return false;
  // As GPUs are sold: "80G" is 80 GB, which an H100 80GB (81559 MiB to nvidia-smi) has.
  if (static_cast<__int128>(g.memory_mb) * (1 << 30) < static_cast<__int128>(spec.gpu_mem_mb) * 1'000'000'000) return false;
  return !priced || spec.max_gpu_price_micros == 0 || gpu_price_of(p, g.model) <= spec.max_gpu_price_micros;
}

// The free GPUs that serve the job, cheapest first, then by index. No allocation: a pass
// asks this of every GPU offer for every GPU job it places.
struct FreeGpus {
  std::array<const GpuDevice*, kMaxGpuDevices> gpu;
  size_t n = 0;
};
FreeGpus free_serving(const Partition& p, const JobSpec& spec) {
  FreeGpus out;
  for (const auto& g : p.gpu->gpu_devices) {
    if ((p.used_gpu_mask >> g.index & 1) || !serves(p, g, spec, true) || out.n == kMaxGpuDevices) continue;
    int64_t price = gpu_price_of(p, g.model);
    size_t i = out.n++;
    for (; i > 0 && gpu_price_of(p, out.gpu[i - 1]->model) > price; --i) out.gpu[i] = out.gpu[i - 1];
    out.gpu[i] = &g;
  }
  return out;
}

// What a replica holds but which GPUs: CPUs, memory, a GPU count, until when.
Allocation sized(const Partition& p, const JobSpec& spec, int64_t start_us) {
  Allocation a;
  a.cpus = cpus_taken(p, spec);
  a.memory_mb = spec.exclusive ? p.memory_mb : spec.total_mem_mb();
  a.gpus = spec.exclusive ? p.gpus : spec.gpus;
  a.end_us = expected_end_us(spec, start_us);
  return a;
}

}  // namespace

int64_t gpu_price_of(const Partition& p, const std::string& model) {
  auto it = p.gpu->gpu_prices.find(model);
  return it == p.gpu->gpu_prices.end() ? p.gpu_price_micros : it->second;
}

uint32_t gpus_serving(const Partition& p, const JobSpec& spec, bool priced, bool free_only) {
  // Any GPU will do (the common case): counted from the partition's own fields, without
  // reading its GPUs (a cache miss per partition in a pass's scan).
  if (spec.gpu_type.empty() && spec.gpu_mem_mb == 0 && spec.cuda.empty() && (!priced || spec.max_gpu_price_micros == 0))
    return free_only ? p.gpus - std::min(p.gpus, p.used_gpus) : p.gpus;
  if (!driver_runs(p, spec)) return 0;
  if (p.gpu->gpu_devices.empty()) {  // a bare count: one model, memory unknown
    bool ok = (spec.gpu_type.empty() || same_gpu_model(spec.gpu_type, p.gpu_type)) && spec.gpu_mem_mb == 0 &&
              (!priced || spec.max_gpu_price_micros == 0 || p.gpu_price_micros <= spec.max_gpu_price_micros);
    return !ok ? 0 : free_only ? p.gpus - std::min(p.gpus, p.used_gpus) : p.gpus;
  }
  // Of any model and memory, at one price: count, without looking at each.
  if (spec.gpu_type.empty() && spec.gpu_mem_mb == 0 && (!priced || spec.max_gpu_price_micros == 0 || p.gpu->gpu_prices.empty())) {
    bool affordable = !priced || spec.max_gpu_price_micros == 0 || p.gpu_price_micros <= spec.max_gpu_price_micros;
    uint32_t all = static_cast<uint32_t>(p.gpu->gpu_devices.size());
    return !affordable ? 0 : free_only ? all - std::min(all, static_cast<uint32_t>(__builtin_popcountll(p.used_gpu_mask))) : all;
  }
  uint32_t n = 0;
  for (const auto& g : p.gpu->gpu_devices)
    if ((!free_only || !(p.used_gpu_mask >> g.index & 1)) && serves(p, g, spec, priced)) ++n;
  return n;
}

Allocation allocation_for(const Partition& p, const JobSpec& spec, int64_t start_us) {
  Allocation a = sized(p, spec, start_us);
  if (spec.exclusive) {
    for (const auto& g : p.gpu->gpu_devices) a.gpu_mask |= uint64_t{1} << g.index;
  } else if (spec.gpus > 0 && !p.gpu->gpu_devices.empty()) {
    FreeGpus free = free_serving(p, spec);
    for (size_t i = 0; i < free.n && i < spec.gpus; ++i) a.gpu_mask |= uint64_t{1} << free.gpu[i]->index;
  }
  return a;
}

int64_t hourly_rate_micros(const Partition& p, const JobSpec& spec, std::optional<uint64_t> gpu_mask) {
  // What the job asked for, even when --exclusive keeps others off the rest of the node:
  // that is what its escrow could lock at submission, before any node was chosen.
  // Held at the ceiling on amounts: an offer that dear matches no priced job anyway.
  // GPUs at their model's price: those it was given, else those it would be given now.
  __int128 rate = static_cast<__int128>(spec.total_cpus()) * p.price_micros;
  uint32_t priced = 0;
  if (spec.gpus > 0 && gpu_mask) {
    // The GPUs it asked for among those it holds (all of them with --exclusive): those
    // that serve it, cheapest first.
    std::array<std::pair<bool, int64_t>, kMaxGpuDevices> held;
    size_t n = 0;
    for (const auto& g : p.gpu->gpu_devices)
      if (*gpu_mask >> g.index & 1) held[n++] = {!serves(p, g, spec, false), gpu_price_of(p, g.model)};
    std::sort(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(n));
    for (; priced < n && priced < spec.gpus; ++priced) rate += held[priced].second;
  } else if (spec.gpus > 0 && !p.gpu->gpu_prices.empty()) {  // else every GPU is at the one price below
    FreeGpus free = free_serving(p, spec);
    for (; priced < free.n && priced < spec.gpus; ++priced) rate += gpu_price_of(p, free.gpu[priced]->model);
  }
  rate += static_cast<__int128>(spec.gpus - priced) * p.gpu_price_micros;
  return static_cast<int64_t>(std::min<__int128>(rate, kMaxAmountMicros));
}

bool has_room(const Partition& p, const Allocation& a) {
  return p.used_cpus + a.cpus <= p.cpus && p.used_memory_mb + a.memory_mb <= p.memory_mb &&
         p.used_gpus + a.gpus <= p.gpus && !(a.gpu_mask & p.used_gpu_mask);
}

std::string gres_of(const Partition& p) {
  if (p.gpus == 0) return "(null)";
  if (p.gpu->gpu_devices.empty()) return "gpu" + (p.gpu_type.empty() ? "" : ":" + p.gpu_type) + ":" + std::to_string(p.gpus);
  std::vector<std::pair<std::string, uint32_t>> models;  // in index order
  for (const auto& g : p.gpu->gpu_devices) {
    auto it = std::find_if(models.begin(), models.end(), [&](const auto& m) { return m.first == g.model; });
    if (it == models.end()) models.emplace_back(g.model, 1);
    else ++it->second;
  }
  std::vector<std::string> parts;
  for (const auto& [model, n] : models) parts.push_back("gpu:" + model + ":" + std::to_string(n));
  return join(parts, ",");
}

std::string gpus_asked(const JobSpec& spec) {
  std::string text = "gpu:" + (spec.gpu_type.empty() ? "" : spec.gpu_type + ":") + std::to_string(spec.gpus);
  if (spec.gpu_mem_mb) text += ",gpu-mem>=" + std::to_string(spec.gpu_mem_mb) + "M";
  if (!spec.cuda.empty()) text += ",cuda>=" + spec.cuda;
  return text;
}

OfferMatcher::OfferMatcher(const JobSpec& spec) : spec_(spec), partitions_(split_list(spec.partition)) {
  auto note = [&](const std::string& pinned) {
    auto at = pinned.find('/'), digest = pinned.rfind('@');
    std::string registry = pinned.substr(0, at);
    if (std::find(registries_.begin(), registries_.end(), registry) == registries_.end()) registries_.push_back(registry);
    if (digest != std::string::npos) digests_.push_back(pinned.substr(digest + 1));
  };
  if (!spec.image.empty()) note(spec.image);
  for (const auto& [name, ref] : spec.data) {
    if (result_job_of(ref)) reads_results_ = true;
    else note(ref);
  }
  if (spec.constraint.empty()) return;
  try {
    constraint_ = jobscripts::parse_constraint_expr(spec.constraint);
  } catch (const std::exception&) {
    valid_ = false;  // validated at submission; cannot happen unless the rules changed
  }
}

bool OfferMatcher::can_hold(const Partition& p) const { return holds(p, true, true); }

bool OfferMatcher::can_hold_ignoring_registries(const Partition& p) const { return holds(p, false, true); }

bool OfferMatcher::can_hold_ignoring_gpu_kind(const Partition& p) const { return holds(p, true, false); }

bool OfferMatcher::can_validate(const Partition& p) const { return holds(p, true, true, true); }

bool OfferMatcher::holds(const Partition& p, bool registries, bool gpus, bool validating) const {
  // A validator scores other providers' results and runs no jobs; a job's -p names the
  // partitions that run it, not those that score it.
  if (!valid_ || p.validator != validating) return false;
  if (!validating && !partitions_.empty() && std::find(partitions_.begin(), partitions_.end(), p.name) == partitions_.end())
    return false;
  if (constraint_ && !jobscripts::constraint_satisfied(*constraint_, p.features)) return false;
  if (isolation_rank(p.isolation) < isolation_rank(spec_.isolation)) return false;
  if (!validating && spec_.network == "egress" && !p.egress) return false;  // a scoring script gets no network
  // Below a jail, a job's secrets would sit in files other jobs of the worker's user read.
  if (!spec_.secrets.empty() && isolation_rank(p.isolation) < isolation_rank("jail")) return false;
  // An earlier job's result is mounted at /data/NAME by the jail alone.
  if (reads_results_ && isolation_rank(p.isolation) < isolation_rank("jail")) return false;
  if (spec_.nodes > p.nodes) return false;  // never shrunk: N nodes run only where N can be given
  if (spec_.total_cpus() > p.cpus) return false;
  if (spec_.total_mem_mb() > p.memory_mb) return false;
  if (spec_.gpus > p.gpus) return false;
  if (gpus && spec_.gpus > 0 && gpus_serving(p, spec_, false, false) < spec_.gpus) return false;
  if (registries && !pulls_from(p)) return false;
  return true;
}

bool OfferMatcher::pulls_from(const Partition& p) const {
  if (registries_.empty()) return true;
  // Images and data are mounted by the jail alone, from registries its operator allows.
  if (isolation_rank(p.isolation) < isolation_rank("jail")) return false;
  for (const auto& r : registries_)
    if (std::find(p.registries.begin(), p.registries.end(), r) == p.registries.end()) return false;
  return true;
}

size_t OfferMatcher::cached_on(const Partition& p) const {
  size_t held = 0;
  for (const auto& d : digests_) held += p.cached.count(d);
  return held;
}

std::string why_none_can_hold(const JobSpec& spec, const std::map<std::string, Partition>& partitions) {
  // Shape only: a provider of the isolation, network or price a job needs may still come,
  // as one with more CPUs than any may; but the job's shape is judged as Slurm judges it.
  const std::vector<std::string> named = split_list(spec.partition);
  std::optional<jobscripts::Constraint> constraint;
  if (!spec.constraint.empty()) constraint = jobscripts::parse_constraint_expr(spec.constraint);
  auto featured = [&](const Partition& p) { return !constraint || jobscripts::constraint_satisfied(*constraint, p.features); };
  std::vector<const Partition*> candidates;
  for (const auto& [name, p] : partitions) {
    if (!named.empty() && std::find(named.begin(), named.end(), name) == named.end()) continue;
    if (spec.nodes <= p.nodes && spec.total_cpus() <= p.cpus && spec.total_mem_mb() <= p.memory_mb &&
        spec.gpus <= p.gpus && featured(p))
      return "";
    candidates.push_back(&p);
  }
  if (candidates.empty()) return "";  // no provider yet: one may come
  uint32_t nodes = 0, cpus = 0, gpus = 0;
  uint64_t memory = 0;
  bool any_featured = false;
  std::vector<std::string> features;
  for (const Partition* p : candidates) {
    nodes = std::max(nodes, p->nodes);
    cpus = std::max(cpus, p->cpus);
    memory = std::max(memory, p->memory_mb);
    gpus = std::max(gpus, p->gpus);
    any_featured = any_featured || featured(*p);
    for (const auto& f : p->features)
      if (std::find(features.begin(), features.end(), f) == features.end()) features.push_back(f);
  }
  const std::string most = "; the most a partition offers is ";
  std::vector<std::string> why;
  if (spec.nodes > nodes)
    why.push_back("it asks for " + std::to_string(spec.nodes) + " nodes" + most + std::to_string(nodes) +
                  " (a provider's machine is one node; a Slurm cluster behind og-worker offers its nodes)");
  if (spec.total_cpus() > cpus) why.push_back("it asks for " + std::to_string(spec.total_cpus()) + " CPUs" + most + std::to_string(cpus));
  if (spec.total_mem_mb() > memory)
    why.push_back("it asks for " + std::to_string(spec.total_mem_mb()) + " MB of memory" + most + std::to_string(memory) + " MB");
  if (spec.gpus > gpus)
    why.push_back("it asks for " + std::to_string(spec.gpus) + " GPUs" +
                  (gpus == 0 ? std::string("; no partition has a GPU") : most + std::to_string(gpus)));
  if (!any_featured)
    why.push_back("it asks for features " + spec.constraint + "; partitions offer " +
                  (features.empty() ? std::string("none") : join(features, ", ")));
  if (why.empty()) why.push_back("no one partition has all it asks for at once (og-sinfo shows each)");
  return "no partition can ever hold this job: " + join(why, "; ") + " (sbatch: Requested node configuration is not available)";
}

bool OfferMatcher::price_ok(const Partition& p) const {
  if (spec_.max_price_micros > 0 && p.price_micros > spec_.max_price_micros) return false;
  return spec_.gpus == 0 || spec_.max_gpu_price_micros == 0 || gpus_serving(p, spec_, true, false) >= spec_.gpus;
}

std::vector<std::string> identities_of(const Partition& p) {
  std::vector<std::string> ids = {p.owner.empty() ? "partition:" + p.name : "owner:" + p.owner};
  if (!p.operator_name.empty()) ids.push_back("operator:" + p.operator_name);
  return ids;
}

bool shares_identity(const std::set<std::string>& taken, const Partition& p) {
  if (taken.empty()) return false;
  for (const auto& id : identities_of(p))
    if (taken.count(id)) return true;
  return false;
}

bool first_of_its_operator(std::set<std::string>& seen, const Partition& p) {
  if (shares_identity(seen, p)) return false;
  for (auto& id : identities_of(p)) seen.insert(std::move(id));
  return true;
}

bool partition_can_hold(const Partition& p, const JobSpec& spec) { return OfferMatcher(spec).can_hold(p); }

PlacementResult place_replicas(const Job& job, std::map<std::string, Partition>& partitions,
                               const std::set<std::string>& exclude, uint32_t count) {
  PlacementRequest request;
  request.count = count;
  request.exclude = exclude;
  return place_replicas(job, partitions, request);
}

bool less_loaded(const Partition* a, const Partition* b) {
  // used/total compared without division.
  uint64_t la = uint64_t(a->used_cpus) * b->cpus, lb = uint64_t(b->used_cpus) * a->cpus;
  if (la != lb) return la < lb;
  return a->name < b->name;
}

bool fits_now(const Partition& p, const JobSpec& spec) {
  bool idle = p.used_cpus == 0 && p.used_memory_mb == 0 && p.used_gpus == 0;
  // Which GPUs it would get does not matter here, only that enough serve it.
  if (spec.exclusive) return idle && has_room(p, sized(p, spec, 0));
  return has_room(p, sized(p, spec, 0)) && (spec.gpus == 0 || gpus_serving(p, spec, true, true) >= spec.gpus);
}

double placement_weight(const Partition& p) { return 0.05 + std::clamp(p.reputation, 0.0, 1.0); }

namespace {

// Up to `count` offers, one per provider, drawn without replacement in proportion to
// their weights.
std::vector<Partition*> draw_weighted(std::vector<Partition*> offers, uint32_t count,
                                      const std::function<double()>& draw) {
  std::vector<Partition*> chosen;
  std::set<std::string> taken;
  while (chosen.size() < count) {
    std::erase_if(offers, [&](const Partition* p) { return shares_identity(taken, *p); });
    if (offers.empty()) break;
    double total = 0;
    for (const Partition* p : offers) total += placement_weight(*p);
    double at = draw() * total;
    size_t i = 0;
    for (; i + 1 < offers.size(); ++i) {
      at -= placement_weight(*offers[i]);
      if (at < 0) break;
    }
    first_of_its_operator(taken, *offers[i]);
    chosen.push_back(offers[i]);
    offers.erase(offers.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return chosen;
}

}  // namespace

PlacementResult place_replicas(const Job& job, std::map<std::string, Partition>& partitions,
                               const PlacementRequest& request, OrderBook* book) {
  PlacementResult result;
  const bool weighted = request.draw && (request.count > 1 || !request.exclude.empty());
  if (book && !weighted && OrderBook::applies(job.spec)) {
    result.chosen = book->pick(job, request);
    if (!result.chosen.empty()) return result;
  }
  const JobSpec& spec = job.spec;
  OfferMatcher offer(spec);
  std::vector<std::pair<int64_t, Partition*>> fits;  // (hourly rate, partition)
  std::vector<const Partition*> holders;              // could hold it, whatever the state
  size_t affordable = 0, usable = 0, registry_refused = 0;
  for (auto& [name, p] : partitions) {
    if (request.exclude.count(name)) continue;
    if (!offer.can_hold(p)) {
      // Would fit but for where the job's image comes from: worth saying.
      if (!offer.pulls_from(p) && offer.can_hold_ignoring_registries(p)) ++registry_refused;
      continue;
    }
    if (shares_identity(request.exclude_operators, p) || p.valid_streak < request.min_valid_streak) continue;
    holders.push_back(&p);
    if (!offer.price_ok(p)) continue;
    ++affordable;
    if (p.state != PartitionState::Up) continue;
    ++usable;
    if (!fits_now(p, spec)) continue;
    if (request.admit && !request.admit(p)) continue;
    fits.emplace_back(hourly_rate_micros(p, spec), &p);
  }
  if (weighted && fits.size() >= request.count) {
    std::vector<Partition*> offers;
    for (const auto& [rate, p] : fits) offers.push_back(p);
    result.chosen = draw_weighted(std::move(offers), request.count, request.draw);
    if (result.chosen.size() == request.count) return result;
    result.chosen.clear();
  } else if (fits.size() >= request.count) {
    std::sort(fits.begin(), fits.end(), [&offer](const auto& x, const auto& y) {
      if (x.first != y.first) return x.first < y.first;
      const Partition *a = x.second, *b = y.second;
      // Among equal offers, one that holds the job's image and data already starts it sooner.
      if (size_t ca = offer.cached_on(*a), cb = offer.cached_on(*b); ca != cb) return ca > cb;
      if (a->reputation != b->reputation) return a->reputation > b->reputation;
      return less_loaded(a, b);
    });
    // Best offers first, one per operator.
    std::set<std::string> operators;
    for (const auto& [rate, p] : fits) {
      if (result.chosen.size() == request.count) break;
      if (first_of_its_operator(operators, *p)) result.chosen.push_back(p);
    }
    if (result.chosen.size() == request.count) return result;
    result.chosen.clear();
  }
  // Why not: the first shortfall, from "can never" to "not now".
  std::set<std::string> seen;
  size_t providers = std::count_if(holders.begin(), holders.end(), [&](const Partition* p) { return first_of_its_operator(seen, *p); });
  const bool nodes_anywhere = std::any_of(partitions.begin(), partitions.end(),
                                          [&](const auto& named) { return named.second.nodes >= spec.nodes; });
  if (providers < request.count && !nodes_anywhere)
    result.reason = "PartitionNodeLimit";  // as Slurm says when a job wants more nodes than there are
  else if (providers < request.count && holders.empty() && registry_refused > 0)
    result.reason = std::string(reason::kRegistryNotAllowed);
  // ... or for the model, memory or driver of its GPUs: say which the job wants. (Looked
  // at only here: most GPU jobs find a holder, and a pass places each shape once.)
  else if (providers < request.count && holders.empty() && spec.gpus > 0 &&
           std::any_of(partitions.begin(), partitions.end(), [&](const auto& named) {
             return !request.exclude.count(named.first) && offer.can_hold_ignoring_gpu_kind(named.second);
           }))
    result.reason = std::string(reason::kGpusUnavailable) + ":" + gpus_asked(spec);
  else if (providers < request.count)
    result.reason = holders.empty() && !spec.partition.empty() ? "PartitionConfig"
                    : request.count > 1 || !request.exclude.empty() ? "Replicas"
                                                                    : "Resources";
  else if (affordable < request.count)
    result.reason = "PriceTooLow";
  else if (usable < request.count)
    result.reason = "PartitionDown";
  else {
    result.reason = "Resources";
    result.busy = true;
  }
  return result;
}

}  // namespace og
