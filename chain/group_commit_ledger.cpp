#include "chain/group_commit_ledger.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "chain/transfer_rules.hpp"
#include "core/log.hpp"
#include "core/money.hpp"

namespace og {

namespace {
constexpr size_t kMaxKnown = 100'000;  // balances remembered
constexpr auto kGather = std::chrono::milliseconds(10);
constexpr size_t kGroupSize = 512;
}  // namespace

GroupCommitLedger::GroupCommitLedger(std::unique_ptr<Ledger> book) : book_(std::move(book)) {
  writer_ = std::thread([this] { writer_loop(); });
}

GroupCommitLedger::~GroupCommitLedger() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_cv_.notify_all();
  writer_.join();
}

void GroupCommitLedger::writer_loop() {
  int64_t backoff_ms = 0;
  std::unique_lock lock(mu_);
  for (;;) {
    queued_cv_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
    if (queued_.empty()) return;  // stopping, nothing left
    // A moment for the group to grow: one commit then takes the locks of a burst.
    queued_cv_.wait_for(lock, kGather, [&] { return stopping_ || queued_.size() >= kGroupSize; });
    lock.unlock();
    try {
      {
        std::lock_guard book(book_mu_);
        write_group();
      }
      backoff_ms = 0;
      lock.lock();
      if (!refused_.empty() && on_refusal_) {
        lock.unlock();
        on_refusal_();
        lock.lock();
      }
    } catch (const std::exception& e) {  // kept queued: written by the next try, or locked again at the next start
      log_error("ledger_write_failed", {{"error", e.what()}});
      lock.lock();
      if (stopping_) return;
      backoff_ms = std::min<int64_t>(backoff_ms * 2 + 10, 1000);
      queued_cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stopping_; });
    }
  }
}

void GroupCommitLedger::write_group() {
  std::vector<Transfer> group;
  {
    std::lock_guard lock(mu_);
    group.swap(queued_);
  }
  auto refusal = [](const std::exception& e) {
    return dynamic_cast<const InsufficientFunds*>(&e) || dynamic_cast<const AmountTooLarge*>(&e);
  };
  // The book failed (its disk): what it did not take stays queued, in order.
  auto requeue_from = [&](size_t first) {
    std::lock_guard lock(mu_);
    std::vector<Transfer> left(group.begin() + static_cast<std::ptrdiff_t>(first), group.end());
    left.insert(left.end(), queued_.begin(), queued_.end());
    queued_.swap(left);
    group.resize(first);
    queued_cv_.notify_one();  // the writer may have found the queue empty while these were out
  };
  size_t written = 0;
  bool reread = false;  // the book recorded other than this group: what is known goes
  std::exception_ptr failure;
  std::vector<Transfer> refused;
  auto before = book_->revision();
  if (!group.empty()) {
    try {
      written = book_->apply(group);
    } catch (const std::exception& e) {
      if (!refusal(e)) {
        requeue_from(0);
        throw;
      }
      // The book refuses one of them (an account credited past the ceiling it held before
      // this class read it): the others are written one by one, that one is let go.
      for (size_t i = 0; i < group.size(); ++i) {
        try {
          book_->apply(group[i]);
        } catch (const std::exception& each) {
          if (!refusal(each)) {
            failure = std::current_exception();
            requeue_from(i);  // those before it are written: accounted for below
            break;
          }
          log_error("ledger_refused_queued", {{"key", group[i].key}, {"error", each.what()}});
          refused.push_back(group[i]);
        }
      }
      reread = true;
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& t : group) {
    queued_keys_.erase(t.key);
    for (auto [account, amount] : {std::pair{&t.from, -t.amount}, std::pair{&t.to, t.amount}}) {
      if (auto moved = queued_moves_.find(*account); moved != queued_moves_.end() && (moved->second -= amount) == 0)
        queued_moves_.erase(moved);
      if (auto held = known_.find(*account); held != known_.end()) held->second += amount;
    }
  }
  auto after = book_->revision();
  // Kept up to date only where this group is all the book recorded since what is known.
  if (reread || written != group.size() || !before || known_revision_ != before ||
      after != *before + (written > 0 ? 1 : 0))
    known_.clear();
  known_revision_ = after;
  refused_.insert(refused_.end(), refused.begin(), refused.end());
  if (failure) std::rethrow_exception(failure);
}

void GroupCommitLedger::forget_if_written_elsewhere() {
  auto now = book_->revision();
  if (!now || now != known_revision_) {
    known_.clear();
    known_revision_ = now;
  }
}

std::vector<Transfer> GroupCommitLedger::take_refused() {
  std::lock_guard lock(mu_);
  return std::exchange(refused_, {});
}

int64_t GroupCommitLedger::balance_locked(const std::string& account) {
  auto held = known_.find(account);
  auto moved = queued_moves_.find(account);
  return (held == known_.end() ? 0 : held->second) + (moved == queued_moves_.end() ? 0 : moved->second);
}

void GroupCommitLedger::queue(const std::vector<Transfer>& transfers) {
  std::unique_lock lock(mu_);
  forget_if_written_elsewhere();
  std::unique_lock<std::mutex> book;
  for (const auto& t : transfers)
    if (!known_.count(t.from)) {  // read it with no group being written (what it holds then is known_'s)
      lock.unlock();
      book = std::unique_lock(book_mu_);
      lock.lock();
      break;
    }
  if (book) {
    forget_if_written_elsewhere();
    for (const auto& t : transfers)
      if (!known_.count(t.from)) known_[t.from] = book_->balance(t.from);
  }
  // Checked against the book, the queue and the earlier transfers of this call.
  std::unordered_map<std::string, int64_t> moves;
  std::vector<const Transfer*> fresh;
  std::unordered_set<std::string> keys;
  for (const auto& t : transfers) {
    if (queued_keys_.count(t.key) || keys.count(t.key)) continue;
    check_transfer(t, [&](const std::string& account) { return balance_locked(account) + moves[account]; });
    moves[t.from] -= t.amount;
    moves[t.to] += t.amount;
    fresh.push_back(&t);
    keys.insert(t.key);
  }
  for (const Transfer* t : fresh) queued_.push_back(*t);
  queued_keys_.merge(keys);
  for (const auto& [account, amount] : moves) queued_moves_[account] += amount;
  if (queued_.size() == fresh.size() || queued_.size() >= kGroupSize) queued_cv_.notify_one();
}

void GroupCommitLedger::write_queued() {
  std::lock_guard book(book_mu_);
  write_group();
}

size_t GroupCommitLedger::apply(const std::vector<Transfer>& transfers) {
  std::lock_guard book(book_mu_);
  write_group();
  return book_->apply(transfers);  // its revision tells what is known that it wrote
}

int64_t GroupCommitLedger::balance(const std::string& account) {
  {
    std::lock_guard lock(mu_);
    forget_if_written_elsewhere();
    if (known_.count(account)) return balance_locked(account);
  }
  std::lock_guard book(book_mu_);
  std::lock_guard lock(mu_);
  forget_if_written_elsewhere();
  if (known_.size() >= kMaxKnown) known_.clear();  // escrows of jobs long settled, mostly
  if (!known_.count(account)) known_[account] = book_->balance(account);
  return balance_locked(account);
}

std::optional<LedgerEntry> GroupCommitLedger::find(const std::string& key) {
  std::lock_guard book(book_mu_);
  write_group();  // a queued entry has its place in the book
  return book_->find(key);
}

std::vector<LedgerEntry> GroupCommitLedger::history(const std::string& account, size_t limit) {
  std::lock_guard book(book_mu_);
  write_group();
  return book_->history(account, limit);
}

std::vector<std::pair<std::string, int64_t>> GroupCommitLedger::balances() {
  std::lock_guard book(book_mu_);
  write_group();
  return book_->balances();
}

int64_t GroupCommitLedger::total_under_key_prefix(const std::string& prefix) {
  std::lock_guard book(book_mu_);
  write_group();
  return book_->total_under_key_prefix(prefix);
}

}  // namespace og
