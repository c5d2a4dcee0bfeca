// og-sim: replays a workload trace (SWF, or a synthetic one) through og-schedd's
// scheduling policies in virtual time and reports utilization, waits and slowdown.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/money.hpp"
#include "scheduler/sim/simulator.hpp"
#include "scheduler/sim/synthetic_trace.hpp"
#include "scheduler/sim/sybil_sim.hpp"
#include "scheduler/sim/trust_sim.hpp"
#include "scheduler/sim/validator_sim.hpp"

namespace {

constexpr const char* kUsage = R"(usage: og-sim [OPTIONS] (--trace FILE.swf | --generate JOBS)
       og-sim --trust [TRUST OPTIONS]
       og-sim --sybil [SYBIL OPTIONS]
       og-sim --validators [VALIDATOR OPTIONS]

Replays a workload through og-schedd's scheduling policies in virtual time (no processes)
and reports utilization, mean and 95th-percentile wait, and mean bounded slowdown.
Jobs are ranked first come, first served.

  --trace FILE          a Standard Workload Format trace (Parallel Workloads Archive)
  --generate JOBS       a synthetic trace of JOBS jobs instead:
      --seed N            random seed (1)
      --load X            offered load, work over capacity (0.9)
      --machine-cpus N    capacity the load is measured against (256)
      --max-job-cpus N    widths 1, 2, 4, ... up to N, equally likely (64)
      --write-trace FILE  also save the generated trace as SWF
  --scheduler NAME      backfill, fifo, or both (default: both, on the same trace)
  --partitions N        partitions in the simulated mesh (1)
  --cpus N              CPUs per partition (default: the trace's MaxProcs / partitions)
  --json                one JSON object per scheduler instead of a table

--trust plays adaptive replication out over many jobs (the same trust rule and streaks as
og-schedd) and reports replica runs per job (1 = unreplicated) and how likely a cheater
is caught:
  --jobs N              jobs in the mixed population (200000)
  --providers N         (20)          --cheaters N      among them (2)
  --cheat-rate X        share of its jobs a cheater answers falsely (0.1)
  --replicas N          what each job asks for (2)
  --trust-after N       confirmed results in a row that make a provider trusted (10)
  --spot-check X        chance a trusted provider's job is checked anyway (0.1)
  --horizon N           "caught within N of its jobs" (500)
  --lifetimes N         single-cheater runs behind that probability (2000)

--sybil plays an attacker with k identities against og-schedd's placement and settlement
under each defence, and reports how often its forged result is accepted and how often an
honest provider is slashed:
  --jobs N (100000)  --honest N (20)  --sybils K (2)  --replicas N (3)  --seed N (1)
  --price-ratio X       the attacker's asking price over the honest one's (0.1)

--validators plays score verification out (validators score each replica in [0, 1]; a
second validator checks a share of them, a third settles a disagreement) against a lazy
replica, a lazy validator and a colluding pair, and reports each strategy's expected gain
per job over playing honestly (money in units of one replica's pay), how soon it is
caught, and the validation compute over the replicas':
  --jobs N (100000)  --providers N (20)  --replicas N (2)  --seed N (1)  --horizon N (100)
  --validator-pool N    validators (8)
  --second-opinion X    share of validations checked by a second validator (0.1; 0 allowed)
  --no-check-low        a score below the threshold does not bring a second validator
  --tolerance X         score difference that brings a third validator (0.15)
  --threshold X         the score a replica must reach to be accepted and paid (0.5)
  --validation-cost X   a validation's compute per replica scored, over a replica's (0.15)
  --replica-slash X     what a replica proven bad loses, in replica pays (10)
  --validator-slash X   what a validator out of line loses (10)
)";

uint64_t number(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    unsigned long long v = std::stoull(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw og::UsageError(flag + " takes a whole number, not \"" + text + "\"");
}

double share(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && v >= 0 && v <= 1) return v;
  } catch (const std::exception&) {
  }
  throw og::UsageError(flag + " takes a number from 0 to 1, not \"" + text + "\"");
}

double fraction(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw og::UsageError(flag + " takes a positive number, not \"" + text + "\"");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string trace_path, write_path, scheduler = "both";
    og::sim::SyntheticParams synth;
    bool generate = false, json = false, trust = false, sybil = false, validators = false;
    og::sim::ValidatorSimParams validator_params;
    og::sim::TrustSimParams trust_params;
    og::sim::SybilSimParams sybil_params;
    og::sim::SimConfig config;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw og::UsageError(a + " needs a value (see og-sim --help)");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--trace") trace_path = value();
      else if (a == "--generate") {
        generate = true;
        synth.jobs = number(a, value());
      } else if (a == "--seed") synth.seed = number(a, value());
      else if (a == "--load") synth.load = fraction(a, value());
      else if (a == "--machine-cpus") synth.machine_cpus = static_cast<uint32_t>(number(a, value()));
      else if (a == "--max-job-cpus") synth.max_job_cpus = static_cast<uint32_t>(number(a, value()));
      else if (a == "--write-trace") write_path = value();
      else if (a == "--scheduler") scheduler = value();
      else if (a == "--partitions") config.partitions = static_cast<uint32_t>(number(a, value()));
      else if (a == "--cpus") config.cpus_per_partition = static_cast<uint32_t>(number(a, value()));
      else if (a == "--json") json = true;
      else if (a == "--trust") trust = true;
      else if (a == "--jobs") trust_params.jobs = sybil_params.jobs = validator_params.jobs = number(a, value());
      else if (a == "--validators") validators = true;
      else if (a == "--validator-pool") validator_params.validators = static_cast<uint32_t>(number(a, value()));
      else if (a == "--second-opinion") validator_params.second_opinion = share(a, value());
      else if (a == "--tolerance") validator_params.tolerance = share(a, value());
      else if (a == "--no-check-low") validator_params.check_low = false;
      else if (a == "--threshold") validator_params.threshold = share(a, value());
      else if (a == "--validation-cost") validator_params.validation_cost = fraction(a, value());
      else if (a == "--replica-slash") validator_params.replica_slash = fraction(a, value());
      else if (a == "--validator-slash") validator_params.validator_slash = fraction(a, value());
      else if (a == "--sybil") sybil = true;
      else if (a == "--honest") sybil_params.honest = static_cast<uint32_t>(number(a, value()));
      else if (a == "--sybils") sybil_params.sybils = static_cast<uint32_t>(number(a, value()));
      else if (a == "--price-ratio") sybil_params.price_ratio = fraction(a, value());
      else if (a == "--providers") trust_params.providers = validator_params.providers = static_cast<uint32_t>(number(a, value()));
      else if (a == "--cheaters") trust_params.cheaters = static_cast<uint32_t>(number(a, value()));
      else if (a == "--cheat-rate") trust_params.cheat_rate = fraction(a, value());
      else if (a == "--replicas") trust_params.replicas = sybil_params.replicas = validator_params.replicas = static_cast<uint32_t>(number(a, value()));
      else if (a == "--trust-after") trust_params.adaptive.trust_after = static_cast<uint32_t>(number(a, value()));
      else if (a == "--spot-check") trust_params.adaptive.spot_check = fraction(a, value());
      else if (a == "--horizon") trust_params.horizon = validator_params.horizon = static_cast<uint32_t>(number(a, value()));
      else if (a == "--lifetimes") trust_params.lifetimes = static_cast<uint32_t>(number(a, value()));
      else throw og::UsageError("unknown option " + a + " (see og-sim --help)");
    }
    if (validators) {
      auto& v = validator_params;
      if (v.replicas < 1 || v.providers < v.replicas || v.validators < 3 || v.jobs == 0)
        throw og::UsageError("--validators needs --providers of at least --replicas, a --validator-pool of at least 3 "
                             "(a disagreement needs a third), and some --jobs");
      v.seed = synth.seed;
      auto r = og::sim::simulate_validators(v);
      std::cout << "providers " << v.providers << ", validators " << v.validators << ", replicas " << v.replicas
                << ", threshold " << v.threshold << ", second opinion " << v.second_opinion << ", tolerance "
                << v.tolerance << ", slashes " << v.replica_slash << "/" << v.validator_slash << ", " << v.jobs
                << " jobs\n"
                << std::fixed << std::setprecision(4) << "validation compute over replica compute: "
                << r.validation_overhead << "; honest jobs below threshold: " << r.below_threshold << "\n"
                << "gain_per_job  caught_in_" << v.horizon << "  mean_jobs_to_catch  honest_unpaid  wrong_accepted  strategy\n";
      for (const auto& row : r.rows)
        std::cout << std::setw(12) << row.gain_per_job << std::setw(13) << row.caught_within_horizon << std::setw(20)
                  << std::setprecision(1) << row.mean_jobs_to_catch << std::setprecision(4) << std::setw(15)
                  << row.honest_unpaid << std::setw(16) << row.wrong_accepted << "  " << row.strategy << "\n";
      return 0;
    }
    if (sybil) {
      if (sybil_params.replicas < 2 || sybil_params.honest + sybil_params.sybils < sybil_params.replicas ||
          sybil_params.jobs == 0)
        throw og::UsageError("--sybil needs --replicas of at least 2, enough providers for them, and some --jobs");
      sybil_params.seed = synth.seed;
      auto r = og::sim::simulate_sybils(sybil_params);
      std::cout << "honest " << sybil_params.honest << ", sybils " << sybil_params.sybils << " (capacity share "
                << std::fixed << std::setprecision(3) << r.capacity_share << "), replicas " << sybil_params.replicas
                << " (quorum " << sybil_params.replicas / 2 + 1 << "), attacker's price x" << sybil_params.price_ratio
                << ", " << sybil_params.jobs << " jobs\n";
      std::cout << "forged_accepted  honest_slashed  attacker_bond  defence\n";
      for (const auto& row : r.rows)
        std::cout << std::setw(15) << std::setprecision(4) << row.forged_accepted << std::setw(16) << row.honest_slashed
                  << std::setw(15) << og::format_money(row.attacker_bond_micros) << "  " << row.defence << "\n";
      return 0;
    }
    if (trust) {
      if (trust_params.providers < trust_params.replicas + 1 || trust_params.replicas < 2 || trust_params.jobs < 2 ||
          trust_params.lifetimes == 0)
        throw og::UsageError("--trust needs --replicas of at least 2, more --providers than replicas, and some --jobs");
      trust_params.seed = synth.seed;
      auto r = og::sim::simulate_trust(trust_params);
      std::cout << nlohmann::json{{"replica_runs_per_job", r.overhead},
                                  {"replica_runs_per_job_steady", r.steady_overhead},
                                  {"wrong_results_accepted", r.wrong_accepted},
                                  {"cheaters_caught_within_horizon", r.caught_within_horizon},
                                  {"mean_jobs_to_catch", r.mean_jobs_to_catch},
                                  {"analytic_escape_once_trusted", r.analytic_escape}}
                       .dump(2)
                << "\n";
      return 0;
    }
    if (generate == !trace_path.empty())
      throw og::UsageError("give either --trace FILE or --generate JOBS (see og-sim --help)");
    og::sim::Trace trace;
    if (generate) {
      if (synth.jobs == 0) throw og::UsageError("--generate needs at least one job");
      trace = og::sim::synthetic_trace(synth);
      if (!write_path.empty()) {
        std::ofstream out(write_path);
        og::sim::write_swf(out, trace);
        if (!out) throw og::UsageError("cannot write " + write_path);
      }
    } else {
      std::ifstream in(trace_path);
      if (!in) throw og::UsageError("cannot read trace " + trace_path);
      trace = og::sim::read_swf(in, trace_path);
    }
    std::vector<std::string> schedulers =
        scheduler == "both" ? std::vector<std::string>{"fifo", "backfill"} : std::vector<std::string>{scheduler};
    if (!json)
      std::cout << "scheduler   jobs  utilization  mean_wait_s  p95_wait_s  mean_bsld  backfilled  passes  sim_s\n";
    for (const auto& name : schedulers) {
      config.scheduler = name;
      auto r = og::sim::simulate(trace, config);
      if (json) {
        std::cout << nlohmann::json{{"scheduler", r.scheduler}, {"jobs", r.jobs}, {"too_big", r.too_big},
                                    {"skipped", trace.skipped}, {"utilization", r.utilization},
                                    {"mean_wait_s", r.mean_wait_s}, {"p95_wait_s", r.p95_wait_s},
                                    {"mean_bounded_slowdown", r.mean_bounded_slowdown},
                                    {"makespan_s", r.makespan_s}, {"backfilled", r.backfilled},
                                    {"passes", r.passes}, {"wall_s", r.wall_s}}
                         .dump()
                  << "\n";
        continue;
      }
      std::cout << std::left << std::setw(10) << r.scheduler << std::right << std::setw(6) << r.jobs
                << std::fixed << std::setprecision(3) << std::setw(13) << r.utilization << std::setprecision(0)
                << std::setw(13) << r.mean_wait_s << std::setw(12) << r.p95_wait_s << std::setprecision(2)
                << std::setw(11) << r.mean_bounded_slowdown << std::setw(12) << r.backfilled << std::setw(8)
                << r.passes << std::setprecision(2) << std::setw(7) << r.wall_s << "\n";
      if (r.too_big > 0) std::cout << "  (" << r.too_big << " jobs wider than a partition left out)\n";
    }
    return 0;
  } catch (const og::UsageError& e) {
    std::cerr << "og-sim: " << e.what() << "\n";
    return 2;
  }
}
