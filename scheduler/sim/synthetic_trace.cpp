#include "scheduler/sim/synthetic_trace.hpp"

#include <cmath>
#include <random>
#include <sstream>

namespace og::sim {

Trace synthetic_trace(const SyntheticParams& p) {
  std::mt19937_64 rng(p.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int widths = 1;
  while ((1u << widths) <= p.max_job_cpus) ++widths;  // 1, 2, 4, … ≤ max_job_cpus
  Trace trace;
  trace.max_procs = p.machine_cpus;
  std::ostringstream note;
  note << " og-sim synthetic trace: jobs=" << p.jobs << " seed=" << p.seed << " load=" << p.load
       << " machine_cpus=" << p.machine_cpus << " max_job_cpus=" << p.max_job_cpus << " run=" << p.min_run_s
       << ".." << p.max_run_s << "s log-uniform, requested=run*U(1," << p.max_overestimate << ")";
  trace.header.push_back(note.str());
  double work = 0;  // CPU-seconds
  for (size_t i = 0; i < p.jobs; ++i) {
    TraceJob j;
    j.id = i + 1;
    j.cpus = 1u << static_cast<uint32_t>(unit(rng) * widths);
    double log_run = std::log(double(p.min_run_s)) +
                     unit(rng) * (std::log(double(p.max_run_s)) - std::log(double(p.min_run_s)));
    j.run_s = std::max<int64_t>(1, std::llround(std::exp(log_run)));
    double requested = j.run_s * (1.0 + unit(rng) * (p.max_overestimate - 1.0));
    j.requested_s = std::max<int64_t>(60, int64_t(std::ceil(requested / 60.0)) * 60);  // whole minutes
    j.user = static_cast<int64_t>(unit(rng) * p.users);
    work += double(j.cpus) * double(j.run_s);
    trace.jobs.push_back(j);
  }
  // Arrivals: a Poisson process whose rate makes the offered load p.load.
  double mean_work = work / double(p.jobs);
  double rate = p.load * p.machine_cpus / mean_work;  // jobs per second
  std::exponential_distribution<double> gap(rate);
  double t = 0;
  for (auto& j : trace.jobs) {
    j.submit_s = std::llround(t);
    t += gap(rng);
  }
  return trace;
}

}  // namespace og::sim
