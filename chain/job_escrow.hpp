// JobEscrow (contracts/src/JobEscrow.sol) from C++: its batch encoding, the calls the
// settlement address makes, and the JobSettled events a restarted og-schedd reads back to
// learn which jobs the chain has already paid (reconciliation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/evm_client.hpp"

namespace og::evm {

// settleBatch's job ids carry this bit (JobEscrow.BATCH_ID); the C++ side names jobs
// without it and adds it when encoding.
inline constexpr uint64_t kBatchIdFlag = uint64_t(1) << 63;

struct BatchPayment {
  std::string payee;  // 20 bytes
  uint64_t gross = 0; // the contract takes gross / 100 of it as the fee
};

struct BatchJob {
  uint64_t job_id = 0;    // below 2^63
  std::string requester;  // 20 bytes; its committed budget pays
  std::vector<BatchPayment> payments;  // at most 255
};

struct EscrowAccount {
  uint64_t free = 0, committed = 0, committed_until = 0;
};

// A requester's budget moving: Committed (into it) or Reclaimed (out, after its date).
struct BudgetEvent {
  std::string requester;  // 20 bytes
  uint64_t amount = 0;
  bool committed = true;  // false: reclaimed
  std::string key;        // unique per event: transaction hash and log index
  uint64_t block = 0;
};

// settleBatch's calldata: requesters and payees as index tables, each job a header word
// and one word per payment (see JobEscrow.settleBatch). Throws std::invalid_argument for
// more than 65,535 requesters or payees or 255 payments in a job.
std::string encode_settle_batch(const std::vector<BatchJob>& jobs);

// A node's revert message with JobEscrow's custom error named, e.g. "… (0x5d6e0f8c…)
// [BudgetExpired]", so logs and notes say why without a decoder at hand.
std::string explain_revert(const std::string& message);

class JobEscrowContract {
 public:
  JobEscrowContract(EvmClient& settlement, std::string address) : client_(settlement), address_(std::move(address)) {}

  // One transaction for the whole batch; throws when it would revert or did (a job id
  // already used, a budget short or expired: nothing was paid). gas_limit 0: estimated.
  Receipt settle_batch(const std::vector<BatchJob>& jobs, uint64_t gas_limit = 0);
  // Job ids paid by settleBatch in blocks [from_block, to_block] (to_block 0: latest).
  std::vector<uint64_t> settled_since(uint64_t from_block, uint64_t to_block = 0);
  // Committed and Reclaimed in blocks [from_block, to_block], in chain order; only the
  // requester's when one is given.
  std::vector<BudgetEvent> budget_events(uint64_t from_block, uint64_t to_block, const std::string& requester = {});
  const std::string& address() const { return address_; }
  uint64_t credits(const std::string& account);
  EscrowAccount account(const std::string& requester);
  bool is_used(uint64_t job_id);  // a batch job id (without the flag)

 private:
  EvmClient& client_;
  std::string address_;
};

}  // namespace og::evm
