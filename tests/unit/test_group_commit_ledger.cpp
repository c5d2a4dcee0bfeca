// The group-commit ledger og-schedd locks escrows through: what it queues counts at once,
// is refused as the book would refuse it, and reaches the book — by its writer, by any read
// of the book's entries, or when it is closed — once, whatever was there before.
#include <gtest/gtest.h>

#include "chain/embedded_ledger.hpp"
#include "chain/group_commit_ledger.hpp"
#include "core/money.hpp"
#include "tests/unit/temp_dir.hpp"

namespace og::test {
namespace {

class GroupCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    EmbeddedLedger(path_).apply(Transfer{"faucet:alice", kExternalAccount, wallet_account("alice"), 1'000, "deposit"});
    grouped_ = std::make_unique<GroupCommitLedger>(std::make_unique<EmbeddedLedger>(path_));
  }
  static Transfer lock(uint64_t job, int64_t amount) {
    return {"lock:job:" + std::to_string(job), wallet_account("alice"), escrow_account(job), amount, "escrow"};
  }
  TempDir dir_{"og-group-commit"};
  std::string path_ = (dir_.path() / "ledger.db").string();
  std::unique_ptr<GroupCommitLedger> grouped_;
};

TEST_F(GroupCommit, AQueuedLockCountsAtOnceAndAnOverdraftIsRefusedWhole) {
  grouped_->queue({lock(1, 600)});
  EXPECT_EQ(grouped_->balance(wallet_account("alice")), 400);
  EXPECT_EQ(grouped_->balance(escrow_account(1)), 600);
  // 300 fits what is left, 200 more does not: neither is queued.
  EXPECT_THROW(grouped_->queue({lock(2, 300), lock(3, 200)}), InsufficientFunds);
  EXPECT_EQ(grouped_->balance(wallet_account("alice")), 400);
  EXPECT_THROW(grouped_->apply(Transfer{"w", wallet_account("alice"), kExternalAccount, 500, "withdrawal"}),
               InsufficientFunds)
      << "a withdrawal cannot spend what a queued lock holds";
  grouped_->queue({lock(2, 400)});
  EXPECT_EQ(grouped_->balance(wallet_account("alice")), 0);
}

TEST_F(GroupCommit, QueuedLocksReachTheBookOnceAsOneGroup) {
  grouped_->queue({lock(1, 100)});
  grouped_->queue({lock(1, 100)});  // the same key again: a retry
  grouped_->queue({lock(2, 200)});
  grouped_->write_queued();
  grouped_->write_queued();  // nothing left: nothing written twice
  EmbeddedLedger book(path_);
  EXPECT_EQ(book.balance(wallet_account("alice")), 700);
  EXPECT_EQ(book.balance(escrow_account(1)), 100);
  EXPECT_TRUE(book.find("lock:job:2").has_value());
  EXPECT_EQ(grouped_->balance(wallet_account("alice")), 700) << "what it remembers follows what it wrote";
}

TEST_F(GroupCommit, TheWriterThreadWritesWithoutBeingAsked) {
  grouped_->queue({lock(1, 100)});
  EmbeddedLedger book(path_);
  for (int i = 0; i < 2000 && !book.find("lock:job:1"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(book.find("lock:job:1").has_value());
}

TEST_F(GroupCommit, ClosingWritesWhatIsQueued) {
  grouped_->queue({lock(1, 250)});
  grouped_.reset();
  EXPECT_EQ(EmbeddedLedger(path_).balance(escrow_account(1)), 250);
}

TEST_F(GroupCommit, EntriesAndSettlementsSeeTheQueueFirst) {
  grouped_->queue({lock(1, 300)});
  EXPECT_TRUE(grouped_->find("lock:job:1").has_value());
  // A settlement out of the escrow the queue locked.
  grouped_->apply({Transfer{"pay:1", escrow_account(1), wallet_account("p"), 200, "pay"},
                   Transfer{"refund:1", escrow_account(1), wallet_account("alice"), 100, "refund"}});
  EXPECT_EQ(grouped_->balance(wallet_account("alice")), 800);
  EXPECT_EQ(grouped_->history(escrow_account(1), 10).size(), 3u);
}

TEST_F(GroupCommit, ALockAlreadyInTheBookIsNotMadeTwice) {
  grouped_->apply(lock(1, 100));
  grouped_->queue({lock(1, 100)});  // og-schedd locking again after a restart
  grouped_->write_queued();
  EXPECT_EQ(grouped_->balance(wallet_account("alice")), 900);
  EXPECT_EQ(grouped_->balance(escrow_account(1)), 100);
}

TEST_F(GroupCommit, AQueuedLockTheBookRefusesIsLetGoAndTheOthersWritten) {
  // An escrow this ledger never read, already near the ceiling in the book (a job id met
  // before): the lock into it is refused when written, the group's other lock is not.
  EmbeddedLedger(path_).apply(Transfer{"old", kExternalAccount, escrow_account(5), kMaxAmountMicros - 10, "old"});
  grouped_->queue({lock(5, 50), lock(6, 60)});
  grouped_->write_queued();
  EXPECT_EQ(grouped_->balance(escrow_account(6)), 60);
  EXPECT_EQ(grouped_->balance(escrow_account(5)), kMaxAmountMicros - 10);
  EXPECT_EQ(grouped_->balance(wallet_account("alice")), 940);
  auto refused = grouped_->take_refused();
  ASSERT_EQ(refused.size(), 1u) << "og-schedd ends the job whose lock it was";
  EXPECT_EQ(refused[0].key, "lock:job:5");
  EXPECT_TRUE(grouped_->take_refused().empty());
}

TEST_F(GroupCommit, WhatAnotherHandWritesInTheBookIsSeen) {
  EmbeddedLedger* book = nullptr;
  auto owned = std::make_unique<EmbeddedLedger>(path_ + ".2");
  book = owned.get();
  GroupCommitLedger grouped(std::move(owned));
  EXPECT_EQ(grouped.balance(wallet_account("bob")), 0);
  // The EVM book credits a wallet from a chain event through its own apply.
  book->apply(Transfer{"chain:committed:1", kExternalAccount, wallet_account("bob"), 70, "budget committed on chain"});
  EXPECT_EQ(grouped.balance(wallet_account("bob")), 70);
  grouped.queue({Transfer{"lock:job:1", wallet_account("bob"), escrow_account(1), 20, "escrow"}});
  grouped.write_queued();
  book->apply(Transfer{"chain:reclaimed:1", wallet_account("bob"), kExternalAccount, 10, "reclaimed"});
  EXPECT_EQ(grouped.balance(wallet_account("bob")), 40);
}

}  // namespace
}  // namespace og::test
