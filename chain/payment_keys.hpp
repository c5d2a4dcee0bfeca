// The idempotency keys of what a job's escrow pays, shared by the code that plans the
// payments (scheduler/escrow.cpp), the code that reads them back (milestones already paid)
// and the EVM backend, which turns them into on-chain payments:
//   settle:job:J:pay:R / settle:job:J:fee:R             at the end, replica R's pay and fee
//   milestone:job:J:M:pay:R / milestone:job:J:M:fee:R   at milestone M
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace og {

std::string settlement_key_prefix(uint64_t job_id);
std::string milestone_key_prefix(uint64_t job_id, uint32_t milestone);
std::string pay_key(const std::string& prefix, uint64_t replica_id);
std::string fee_key(const std::string& prefix, uint64_t replica_id);

struct PaymentKey {
  uint64_t job_id = 0;
  std::optional<uint32_t> milestone;  // none: the final settlement
  uint64_t replica_id = 0;
  bool fee = false;  // the treasury's part; otherwise the provider's
};

// What a key names, when it is a provider's pay or a fee out of a job's escrow.
std::optional<PaymentKey> parse_payment_key(std::string_view key);

}  // namespace og
