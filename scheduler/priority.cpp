#include "scheduler/priority.hpp"

#include <algorithm>
#include <cmath>

namespace og {

double FairShare::decayed(double value, int64_t from_us, int64_t to_us) const {
  if (half_life_us_ <= 0 || to_us <= from_us) return value;
  return value * std::exp2(-static_cast<double>(to_us - from_us) / static_cast<double>(half_life_us_));
}

void FairShare::add_account(const std::string& account) {
  if (usage_.try_emplace(account).second) factors_at_us_ = -1;
}

void FairShare::add_usage(const std::string& account, double cpu_seconds, int64_t at_us) {
  factors_at_us_ = -1;
  Usage& u = usage_[account];
  u.cpu_seconds = decayed(u.cpu_seconds, u.at_us, at_us) + cpu_seconds;
  u.at_us = std::max(u.at_us, at_us);
}

double FairShare::factor(const std::string& account, int64_t now_us) const {
  // Every account's factor at once, kept while the time and the usage stay the same: a
  // pass asks for one per job, and there are far more jobs than accounts.
  if (factors_at_us_ != now_us) {
    double total = 0;
    for (const auto& [name, u] : usage_) total += decayed(u.cpu_seconds, u.at_us, now_us);
    double shares = 1.0 / static_cast<double>(std::max<size_t>(usage_.size(), 1));
    factors_.clear();
    for (const auto& [name, u] : usage_) {
      double used = total > 0 ? decayed(u.cpu_seconds, u.at_us, now_us) / total : 0;
      factors_[name] = std::exp2(-used / shares);
    }
    factors_at_us_ = now_us;
  }
  auto it = factors_.find(account);
  return it == factors_.end() ? 1.0 : it->second;  // no usage yet: full share
}

PriorityFactors MultifactorPriority::factors(const Job& job, int64_t now_us, uint64_t mesh_cpus) const {
  PriorityFactors f;
  double pending_s = static_cast<double>(std::max<int64_t>(now_us - job.submit_us, 0)) / 1e6;
  f.age = weights_.max_age_s > 0 ? std::min(pending_s / static_cast<double>(weights_.max_age_s), 1.0) : 0;
  f.job_size = mesh_cpus > 0 ? std::min(static_cast<double>(job.spec.total_cpus()) / static_cast<double>(mesh_cpus), 1.0) : 0;
  f.fairshare = fairshare_.factor(charge_account(job), now_us);
  int64_t top_qos = 0;
  for (const auto& [name, prio] : weights_.qos_priority) top_qos = std::max(top_qos, prio);
  if (auto it = weights_.qos_priority.find(job.spec.qos); it != weights_.qos_priority.end() && top_qos > 0)
    f.qos = static_cast<double>(it->second) / static_cast<double>(top_qos);
  f.nice = job.spec.nice;
  double sum = static_cast<double>(weights_.age) * f.age + static_cast<double>(weights_.job_size) * f.job_size +
               static_cast<double>(weights_.fairshare) * f.fairshare + static_cast<double>(weights_.qos) * f.qos;
  f.priority = static_cast<int64_t>(std::llround(sum)) - f.nice;
  return f;
}

}  // namespace og
