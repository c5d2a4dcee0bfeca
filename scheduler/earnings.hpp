// A provider's earnings, read back from the ledger: what its replicas were paid out of
// jobs' escrows (after the protocol fee), per UTC day, the jobs that paid, and what was
// slashed from its bond. The ledger is the record, so nothing is counted twice or kept apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/ledger.hpp"

namespace og {

struct EarningsDay {
  std::string day;  // 2026-12-05 (UTC)
  int64_t earned_micros = 0;
  size_t jobs = 0;
  int64_t slashed_micros = 0;
};

struct Earnings {
  int64_t earned_micros = 0;
  size_t jobs = 0;      // distinct jobs that paid
  size_t payments = 0;  // transfers (a job pays at milestones and at the end)
  int64_t slashed_micros = 0;
  std::vector<EarningsDay> days;  // each day of the period, oldest first
};

// `wallet` and `bond`: the provider's wallet and bond account histories; the period is the
// `days` UTC days ending with the one holding now_us.
Earnings summarize_earnings(const std::vector<LedgerEntry>& wallet, const std::vector<LedgerEntry>& bond,
                            const std::string& provider, int64_t now_us, int days);

}  // namespace og
