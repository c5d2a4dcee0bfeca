// The embedded ledger: a SQLite database of its own (WAL), one row per transfer and one
// per account balance, both written in one transaction. The default backend. Safe to call
// from several threads (og-schedd reads it for /metrics without its state lock).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "chain/ledger.hpp"
#include "core/sqlite.hpp"

namespace og {

class EmbeddedLedger : public Ledger {
 public:
  explicit EmbeddedLedger(const std::string& path, bool synchronous_full = false);
  std::string_view backend() const override { return "embedded"; }
  size_t apply(const std::vector<Transfer>& transfers) override;
  using Ledger::apply;
  int64_t balance(const std::string& account) override;
  std::optional<LedgerEntry> find(const std::string& key) override;
  std::vector<LedgerEntry> history(const std::string& account, size_t limit) override;
  std::vector<std::pair<std::string, int64_t>> balances() override;
  int64_t total_under_key_prefix(const std::string& prefix) override;
  std::optional<uint64_t> revision() override { return revision_.load(); }

 protected:
  // Inside apply's transaction, with the transfers it recorded now: a backend that must
  // act on them later writes its own rows here, so they commit (or roll back) together.
  // Transfers it returns are applied in the same transaction (not passed back to it).
  virtual std::vector<Transfer> on_applied(const std::vector<Transfer>& /*applied*/) { return {}; }
  Database& db() { return db_; }

 private:
  // Records what is new of `transfers` inside the caller's transaction; returns it.
  std::vector<Transfer> record(const std::vector<Transfer>& transfers);
  std::recursive_mutex mu_;  // the connection and its statements (apply reads balances)
  Database db_;
  std::unique_ptr<Statement> find_, insert_, balance_, add_;
  std::atomic<uint64_t> revision_{0};  // committed applies that recorded something
};

}  // namespace og
