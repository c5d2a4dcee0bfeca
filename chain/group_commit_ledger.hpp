// A Ledger whose transfers can be queued to be written in groups: og-schedd queues each
// submission's escrow lock beside the job's commit, and a writer thread of this class
// writes whatever is queued in one transaction of the book beneath — many submissions'
// locks in one commit when they come fast. A queued transfer is checked as the book would
// check it and counts at once in balance(), so no later debit can spend what it locked;
// anything else that writes or reads entries of the book (apply, find, history, balances)
// writes the queue first. What a crash loses of the queue, og-schedd locks again from the
// jobs it finds unfinished (their rows are the locks' durable record).
//
// Balances the book was asked for are remembered and kept up to date by what this class
// writes, and forgotten whenever the book's revision says another hand wrote it (the EVM
// book records what it reads from the chain), so a queued lock reads nothing from the
// book but what it has not seen. A queued transfer the book still refuses when its group
// is written (a wallet the chain took back meanwhile) is let go and kept for take_refused.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "chain/ledger.hpp"

namespace og {

class GroupCommitLedger : public Ledger {
 public:
  explicit GroupCommitLedger(std::unique_ptr<Ledger> book);
  ~GroupCommitLedger() override;  // writes what is queued
  std::string_view backend() const override { return book_->backend(); }

  // Queue only transfers the book records as given (locks, not the EVM book's payments),
  // and under the same lock of the caller's as apply (og-schedd's state lock): a queue
  // checked while another thread's apply debits the same account could be refused when
  // written. A key already in the book counts here until its group is written, and is
  // skipped then. All of them or none: what apply refuses for the account debited, queue
  // refuses, and queues nothing; a key already queued is skipped. An account credited that
  // this class has not read is taken to hold only what the queue moves into it.
  void queue(const std::vector<Transfer>& transfers);
  // Writes every queued transfer now, in one transaction (what the writer thread does on
  // its own). A failure of the book leaves them queued and is thrown.
  void write_queued();
  // The queued transfers the book refused when they were written, since the last call.
  std::vector<Transfer> take_refused();
  // Called by the writer thread, holding none of this class's locks, after a group in
  // which the book refused some (og-schedd asks for a pass, which takes them). Set once,
  // before anything is queued.
  void on_refusal(std::function<void()> call) { on_refusal_ = std::move(call); }

  size_t apply(const std::vector<Transfer>& transfers) override;
  using Ledger::apply;
  int64_t balance(const std::string& account) override;
  std::optional<LedgerEntry> find(const std::string& key) override;
  std::vector<LedgerEntry> history(const std::string& account, size_t limit) override;
  std::vector<std::pair<std::string, int64_t>> balances() override;
  int64_t total_under_key_prefix(const std::string& prefix) override;

 private:
  void write_group();  // book_mu_ held, mu_ not
  void writer_loop();
  // What `account` holds with the queue (mu_ held; the book's part known).
  int64_t balance_locked(const std::string& account);
  void forget_if_written_elsewhere();  // mu_ held

  std::unique_ptr<Ledger> book_;
  std::mutex book_mu_;  // the book: a group being written, or a read of it (taken before mu_)
  std::mutex mu_;       // everything below
  std::vector<Transfer> queued_;
  std::unordered_set<std::string> queued_keys_;  // queued or being written
  std::unordered_map<std::string, int64_t> queued_moves_;  // account → what queued or written-now transfers move
  std::unordered_map<std::string, int64_t> known_;  // account → its balance in the book
  std::optional<uint64_t> known_revision_;           // the book's revision known_ is of
  std::vector<Transfer> refused_;
  std::function<void()> on_refusal_;
  std::condition_variable queued_cv_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace og
