#include "scheduler/earnings.hpp"

#include <map>
#include <set>

#include "chain/payment_keys.hpp"
#include "core/time_util.hpp"

namespace og {

namespace {

constexpr int64_t kDayUs = 86400LL * 1'000'000;

}  // namespace

Earnings summarize_earnings(const std::vector<LedgerEntry>& wallet, const std::vector<LedgerEntry>& bond,
                            const std::string& provider, int64_t now_us, int days) {
  Earnings out;
  const int64_t first_day = now_us / kDayUs - (days - 1);
  std::map<int64_t, std::set<uint64_t>> jobs_by_day;
  std::set<uint64_t> jobs;
  for (int64_t d = first_day; d <= now_us / kDayUs; ++d)
    out.days.push_back({iso8601_utc(d * 86400).substr(0, 10), 0, 0, 0});
  auto day_of = [&](int64_t at_us) -> EarningsDay* {
    int64_t d = at_us / kDayUs;
    return d < first_day || d >= first_day + days ? nullptr : &out.days[static_cast<size_t>(d - first_day)];
  };
  for (const auto& e : wallet) {
    auto key = parse_payment_key(e.transfer.key);
    if (!key || key->fee || e.transfer.to != wallet_account(provider)) continue;  // not a payment to it
    EarningsDay* day = day_of(e.at_us);
    if (!day) continue;
    day->earned_micros += e.transfer.amount;
    out.earned_micros += e.transfer.amount;
    ++out.payments;
    jobs.insert(key->job_id);
    jobs_by_day[e.at_us / kDayUs].insert(key->job_id);
  }
  for (const auto& e : bond) {
    if (e.transfer.from != bond_account(provider) || e.transfer.key.find(":slash:") == std::string::npos) continue;
    if (EarningsDay* day = day_of(e.at_us)) {
      day->slashed_micros += e.transfer.amount;
      out.slashed_micros += e.transfer.amount;
    }
  }
  for (const auto& [d, ids] : jobs_by_day) out.days[static_cast<size_t>(d - first_day)].jobs = ids.size();
  out.jobs = jobs.size();
  return out;
}

}  // namespace og
