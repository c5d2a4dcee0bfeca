// Job priority: Slurm's multifactor formula. Each factor is a number in [0, 1]; the
// priority is their weighted sum, minus the job's nice value.
//   age        time pending, saturating at max_age (PriorityMaxAge)
//   job_size   the job's share of the mesh's CPUs (bigger first, as Slurm's default)
//   fairshare  2^(-U/S): U the account's share of recent usage (decayed with a half-life),
//              S its share of the mesh (equal shares among the accounts seen)
//   qos        the QOS's configured priority over the highest one
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "scheduler/model.hpp"

namespace og {

struct PriorityWeights {
  int64_t age = 1000;
  int64_t job_size = 1000;
  int64_t fairshare = 10000;
  int64_t qos = 1000;
  int64_t max_age_s = 7 * 86400;
  int64_t usage_half_life_s = 7 * 86400;
  std::map<std::string, int64_t> qos_priority;  // QOS name → priority
};

struct PriorityFactors {
  double age = 0, job_size = 0, fairshare = 0, qos = 0;
  int64_t nice = 0;
  int64_t priority = 0;
};

// Decayed CPU-seconds per account: usage halves every half-life.
class FairShare {
 public:
  explicit FairShare(int64_t half_life_s) : half_life_us_(half_life_s * 1'000'000) {}
  void add_usage(const std::string& account, double cpu_seconds, int64_t at_us);
  void add_account(const std::string& account);  // seen, even without usage yet
  double factor(const std::string& account, int64_t now_us) const;

 private:
  double decayed(double value, int64_t from_us, int64_t to_us) const;
  struct Usage {
    double cpu_seconds = 0;
    int64_t at_us = 0;
  };
  int64_t half_life_us_;
  std::map<std::string, Usage> usage_;
  // factor() for every account at factors_at_us_ (-1: stale). Callers hold the
  // controller's lock, as for everything here.
  mutable int64_t factors_at_us_ = -1;
  mutable std::unordered_map<std::string, double> factors_;
};

// The account a job is charged to: --account, else its user.
inline const std::string& charge_account(const Job& job) {
  return job.spec.account.empty() ? job.user : job.spec.account;
}

class PriorityPolicy {
 public:
  virtual ~PriorityPolicy() = default;
  virtual PriorityFactors factors(const Job& job, int64_t now_us, uint64_t mesh_cpus) const = 0;
};

class MultifactorPriority : public PriorityPolicy {
 public:
  MultifactorPriority(PriorityWeights weights, const FairShare& fairshare)
      : weights_(std::move(weights)), fairshare_(fairshare) {}
  PriorityFactors factors(const Job& job, int64_t now_us, uint64_t mesh_cpus) const override;

 private:
  PriorityWeights weights_;
  const FairShare& fairshare_;
};

}  // namespace og
