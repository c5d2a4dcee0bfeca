// The EVM backend of the Ledger: the embedded book, kept exactly as the embedded backend
// keeps it (so balances, history and idempotency behave the same), plus an outbox of what
// the chain must pay. Every transfer out of a job's escrow to a provider or the treasury —
// a settlement, or a milestone — becomes, in the same SQLite transaction, a payment of that
// (job, milestone) for the chain. A batcher sends them to JobEscrow.settleBatch, netted,
// in batches (size and delay configurable) and waits for confirmations.
//
// Nothing is paid twice and nothing is lost: the contract marks each (job, milestone) id
// used, so a batch resent after a crash reverts rather than pays again; a batch that was
// in flight when og-schedd died is reconciled on restart from the JobSettled events
// (eth_getLogs) since the block it was sent at — paid ids are recorded, the rest go back
// to the queue. A batch the chain refuses is retried job by job, so one requester's empty
// budget holds up only its own payments.
//
// Requesters fund their wallets on chain: the Committed events of a linked address credit
// its owner's wallet here (Reclaimed ones debit it). Names are linked to addresses by a
// signed message (see link_message), so no one can claim another's budget; a link is for
// good. What the chain pays — a provider's earnings, the treasury's fees — leaves the book
// in the same transaction (to `external`: it now waits in JobEscrow's credits), so a
// wallet here only ever spends a budget the chain holds.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "chain/embedded_ledger.hpp"
#include "chain/evm_client.hpp"
#include "chain/job_escrow.hpp"

namespace og {

struct EvmLedgerOptions {
  evm::EvmClientOptions client;  // the node and the settlement key
  std::string escrow;            // JobEscrow's address (20 bytes)
  uint64_t from_block = 0;       // the block the contracts were deployed in
  size_t batch_size = 100;       // jobs per settleBatch
  std::chrono::milliseconds batch_delay{2000};   // how long a payment may wait for company
  std::chrono::milliseconds retry_after{30000};  // before a payment the chain refused is tried again
  // Tests only: called at "claimed" (a batch is marked in flight), "sent" (its transaction
  // is out) and "mined"; throwing there stands for a crash at that point.
  std::function<void(std::string_view stage)> fault_point;
};

struct ChainSettlementStatus {
  size_t pending = 0, in_flight = 0, paid = 0, held = 0;  // (job, milestone) payments
  size_t batches = 0;
  uint64_t gas_used = 0;  // by all batches mined
  std::string last_error;
};

class EvmLedger : public EmbeddedLedger {
 public:
  // Throws std::runtime_error when the book at `path` settles on another chain or escrow.
  EvmLedger(const std::string& path, EvmLedgerOptions options, bool synchronous_full = false);
  ~EvmLedger() override;
  // Whether the book at `path` has settled on a chain (and so must not be opened without).
  static bool settles_on_chain(const std::string& path);

  std::string_view backend() const override { return "evm"; }
  size_t apply(const std::vector<Transfer>& transfers) override;
  using Ledger::apply;
  int64_t balance(const std::string& account) override;
  std::optional<LedgerEntry> find(const std::string& key) override;
  std::vector<LedgerEntry> history(const std::string& account, size_t limit) override;
  std::vector<std::pair<std::string, int64_t>> balances() override;

  // The batcher thread: rounds every batch_delay (sooner when a batch fills up).
  void start();
  void stop();

  // What a user signs (EIP-191) to link their name to an address on this chain and escrow.
  std::string link_message(const std::string& name, const std::string& address) const;
  // Links `name` to the address that signed link_message (65-byte signature), then credits
  // the budgets that address committed before. Throws std::invalid_argument for a bad
  // signature, an address linked to someone else, or a name linked to another address.
  std::string link(const std::string& name, const std::string& address, const std::string& signature);
  std::optional<std::string> address_of(const std::string& name);

  // One round: reconcile batches left in flight, credit new budgets, send what is due
  // (everything payable when `force`). Returns the payments the chain confirmed.
  size_t settle_round(bool force);
  // Rounds until nothing payable is left (tests, shutdown).
  size_t flush();
  ChainSettlementStatus status();

  evm::EvmClient& client() { return client_; }
  evm::JobEscrowContract& escrow() { return escrow_; }

 protected:
  std::vector<Transfer> on_applied(const std::vector<Transfer>& applied) override;

 private:
  struct Claimed;
  std::optional<Claimed> claim(bool force);
  size_t send(Claimed& batch);
  // Batches in flight whose fate is known now: settled by their receipt (or, with none, by
  // the chain's events); one whose transaction is still pending stays in flight.
  void reconcile_in_flight();
  enum class TxFate { Pending, Mined, Reverted, Unknown };
  TxFate fate(const std::string& tx_hash);
  void release_failed(uint64_t batch, const std::string& error);
  void credit_budgets();
  void credit(const std::vector<evm::BudgetEvent>& events);
  std::optional<std::string> name_of(const std::string& address);
  int64_t meta(const std::string& key, int64_t fallback);
  void set_meta(const std::string& key, int64_t value);
  void fault(std::string_view stage);

  EvmLedgerOptions options_;
  evm::EvmClient client_;
  evm::JobEscrowContract escrow_;
  std::recursive_mutex mu_;  // the database: the book and the outbox
  std::mutex round_mu_;      // one round at a time
  bool reconciled_ = false;
  std::string last_error_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace og
