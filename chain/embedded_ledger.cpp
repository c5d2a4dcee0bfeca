#include "chain/embedded_ledger.hpp"

#include "chain/transfer_rules.hpp"

#include "core/time_util.hpp"

namespace og {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS transfers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, from_account TEXT NOT NULL,
  to_account TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0), memo TEXT NOT NULL,
  at_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS transfers_from ON transfers(from_account, seq);
CREATE INDEX IF NOT EXISTS transfers_to ON transfers(to_account, seq);
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, balance INTEGER NOT NULL);
)sql";

LedgerEntry read_entry(Statement& s) {
  LedgerEntry e;
  e.seq = static_cast<uint64_t>(s.column_int64(0));
  e.transfer.key = s.column_text(1);
  e.transfer.from = s.column_text(2);
  e.transfer.to = s.column_text(3);
  e.transfer.amount = s.column_int64(4);
  e.transfer.memo = s.column_text(5);
  e.at_us = s.column_int64(6);
  return e;
}

constexpr const char* kEntryColumns = "seq, key, from_account, to_account, amount, memo, at_us";

}  // namespace

InsufficientFunds::InsufficientFunds(std::string account, int64_t balance, int64_t needed)
    : std::runtime_error("account " + account + " holds " + std::to_string(balance) + " micro-units, " +
                         std::to_string(needed) + " needed"),
      account_(std::move(account)),
      balance_(balance),
      needed_(needed) {}

EmbeddedLedger::EmbeddedLedger(const std::string& path, bool synchronous_full) : db_(path, synchronous_full) {
  db_.exec(kSchema);
  find_ = db_.prepare(std::string("SELECT ") + kEntryColumns + " FROM transfers WHERE key = ?1");
  insert_ = db_.prepare(
      "INSERT INTO transfers (key, from_account, to_account, amount, memo, at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  balance_ = db_.prepare("SELECT balance FROM accounts WHERE name = ?1");
  add_ = db_.prepare(
      "INSERT INTO accounts (name, balance) VALUES (?1, ?2) "
      "ON CONFLICT(name) DO UPDATE SET balance = balance + ?2");
}

int64_t EmbeddedLedger::balance(const std::string& account) {
  std::lock_guard lock(mu_);
  balance_->reset();
  balance_->bind(1, account);
  int64_t b = balance_->step() ? balance_->column_int64(0) : 0;
  balance_->reset();
  return b;
}

std::optional<LedgerEntry> EmbeddedLedger::find(const std::string& key) {
  std::lock_guard lock(mu_);
  find_->reset();
  find_->bind(1, key);
  std::optional<LedgerEntry> out;
  if (find_->step()) out = read_entry(*find_);
  find_->reset();
  return out;
}

size_t EmbeddedLedger::apply(const std::vector<Transfer>& transfers) {
  std::lock_guard lock(mu_);
  Transaction txn(db_);
  std::vector<Transfer> applied = record(transfers);
  if (!applied.empty()) {
    size_t n = applied.size();
    record(on_applied(applied));
    applied.resize(n);
  }
  txn.commit();
  if (!applied.empty()) ++revision_;
  return applied.size();
}

std::vector<Transfer> EmbeddedLedger::record(const std::vector<Transfer>& transfers) {
  std::vector<Transfer> applied;
  int64_t now = now_unix_us();
  for (const auto& t : transfers) {
    if (find(t.key)) continue;  // already recorded: a retry
    check_transfer(t, [this](const std::string& account) { return balance(account); });  // rolls back all
    insert_->reset();
    insert_->bind(1, t.key).bind(2, t.from).bind(3, t.to).bind(4, t.amount).bind(5, t.memo).bind(6, now).run();
    add_->reset();
    add_->bind(1, t.from).bind(2, -t.amount).run();
    add_->reset();
    add_->bind(1, t.to).bind(2, t.amount).run();
    applied.push_back(t);
  }
  return applied;
}

std::vector<LedgerEntry> EmbeddedLedger::history(const std::string& account, size_t limit) {
  std::lock_guard lock(mu_);
  auto s = db_.prepare(std::string("SELECT ") + kEntryColumns +
                       " FROM transfers WHERE from_account = ?1 OR to_account = ?1 ORDER BY seq DESC LIMIT ?2");
  s->bind(1, account).bind(2, static_cast<int64_t>(limit));
  std::vector<LedgerEntry> out;
  while (s->step()) out.push_back(read_entry(*s));
  return out;
}

std::vector<std::pair<std::string, int64_t>> EmbeddedLedger::balances() {
  std::lock_guard lock(mu_);
  auto s = db_.prepare("SELECT name, balance FROM accounts ORDER BY name");
  std::vector<std::pair<std::string, int64_t>> out;
  while (s->step()) out.emplace_back(s->column_text(0), s->column_int64(1));
  return out;
}

int64_t EmbeddedLedger::total_under_key_prefix(const std::string& prefix) {
  std::lock_guard lock(mu_);
  // A range over the unique index on key: [prefix, prefix with its last byte raised).
  auto s = db_.prepare("SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE key >= ?1 AND key < ?2");
  std::string end = prefix;
  if (end.empty()) end = std::string(1, '\x7f');
  else end.back() = static_cast<char>(end.back() + 1);
  s->bind(1, prefix).bind(2, end);
  return s->step() ? s->column_int64(0) : 0;
}

}  // namespace og
