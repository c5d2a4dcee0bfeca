// JobEscrow (contracts/src/JobEscrow.sol) from C++: its batch encoding, the calls the
// settlement address makes, and the JobSettled events a restarted og-schedd reads back to
// learn which jobs the chain has already paid (reconciliation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/evm_client.hpp"

namespace og::evm {

struct BatchPayment {
  std::string payee;  // 20 bytes
  uint64_t gross = 0; // the contract takes gross / 100 of it as the fee
};

struct BatchJob {
  uint64_t job_id = 0;
  std::string requester;  // 20 bytes; its committed budget pays
  std::vector<BatchPayment> payments;  // at most 255
};

struct EscrowAccount {
  uint64_t free = 0, committed = 0, committed_until = 0;
};

// settleBatch's calldata: requesters and payees as index tables, each job a header word
// and one word per payment (see JobEscrow.settleBatch). Throws std::invalid_argument for
// more than 65,535 requesters or payees or 255 payments in a job.
std::string encode_settle_batch(const std::vector<BatchJob>& jobs);

class JobEscrowContract {
 public:
  JobEscrowContract(EvmClient& settlement, std::string address) : client_(settlement), address_(std::move(address)) {}

  // One transaction for the whole batch; throws when it would revert or did (a job id
  // already used, a budget short or expired: nothing was paid). gas_limit 0: estimated.
  Receipt settle_batch(const std::vector<BatchJob>& jobs, uint64_t gas_limit = 0);
  // Job ids paid by settleBatch in blocks [from_block, latest].
  std::vector<uint64_t> settled_since(uint64_t from_block);
  uint64_t credits(const std::string& account);
  EscrowAccount account(const std::string& requester);
  bool is_used(uint64_t job_id);

 private:
  EvmClient& client_;
  std::string address_;
};

}  // namespace og::evm
