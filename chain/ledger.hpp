// The Ledger seam: balances in integer micro-units of a USDC-like stablecoin (6 decimals),
// moved only by double-entry transfers. Every transfer carries an idempotency key: a
// second transfer with a key already recorded changes nothing, so a settlement retried
// after a crash never pays twice. Money enters and leaves only through the external
// account (deposits, withdrawals), the one account allowed below zero, so the balances
// of all accounts always sum to zero and the internal ones to deposits − withdrawals.
//
// Accounts: wallet:NAME (a user's or provider's funds), escrow:job:ID (what a job has
// locked), bond:NAME (a provider's bond), unbonding:NAME (a bond on its way back),
// treasury (protocol fees), external.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace og {

inline constexpr const char* kExternalAccount = "external";
inline constexpr const char* kTreasuryAccount = "treasury";
inline std::string wallet_account(const std::string& name) { return "wallet:" + name; }
inline std::string escrow_account(uint64_t job_id) { return "escrow:job:" + std::to_string(job_id); }
// The job whose escrow `account` is; nullopt for any other account.
inline std::optional<uint64_t> escrow_job(std::string_view account) {
  constexpr std::string_view prefix = "escrow:job:";
  if (account.substr(0, prefix.size()) != prefix) return std::nullopt;
  account.remove_prefix(prefix.size());
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(account.data(), account.data() + account.size(), id);
  if (ec != std::errc() || end != account.data() + account.size()) return std::nullopt;
  return id;
}
inline std::string bond_account(const std::string& name) { return "bond:" + name; }
// A bond being withdrawn: still slashable until it is released after the delay.
inline std::string unbonding_account(const std::string& name) { return "unbonding:" + name; }

struct Transfer {
  std::string key;   // idempotency key: (what, job, replica, event)
  std::string from;
  std::string to;
  int64_t amount = 0;  // micro-units, > 0
  std::string memo;
};

struct LedgerEntry {
  uint64_t seq = 0;
  Transfer transfer;
  int64_t at_us = 0;
};

// No account but external ever holds more than kMaxAmountMicros (core/money.hpp): a
// transfer that would take one past it throws AmountTooLarge, and nothing is moved.
// Thrown when a transfer would take an account below zero; nothing was moved.
class InsufficientFunds : public std::runtime_error {
 public:
  InsufficientFunds(std::string account, int64_t balance, int64_t needed);
  const std::string& account() const { return account_; }
  int64_t balance() const { return balance_; }
  int64_t needed() const { return needed_; }

 private:
  std::string account_;
  int64_t balance_, needed_;
};

class Ledger {
 public:
  virtual ~Ledger() = default;
  virtual std::string_view backend() const = 0;
  // All of them or none (InsufficientFunds); transfers whose key is already recorded are
  // skipped. Returns how many were applied now.
  virtual size_t apply(const std::vector<Transfer>& transfers) = 0;
  size_t apply(const Transfer& t) { return apply(std::vector<Transfer>{t}); }
  virtual int64_t balance(const std::string& account) = 0;
  // The transfer recorded under this key, if any.
  virtual std::optional<LedgerEntry> find(const std::string& key) = 0;
  // Newest first: the transfers in or out of the account.
  virtual std::vector<LedgerEntry> history(const std::string& account, size_t limit) = 0;
  // Every account with its balance (for audits and invariant checks).
  virtual std::vector<std::pair<std::string, int64_t>> balances() = 0;
  // The sum of the amounts of every transfer whose key starts with `prefix` (e.g. all
  // faucet deposits into one wallet).
  virtual int64_t total_under_key_prefix(const std::string& prefix) = 0;
  // A number that changes whenever a transfer is recorded, by whoever (the EVM book also
  // records what it reads from the chain); nullopt where the backend keeps none.
  virtual std::optional<uint64_t> revision() { return std::nullopt; }
};

}  // namespace og
