// The embedded ledger: double entry, idempotency keys, no overdrafts, and the invariant
// that balances only change in sum by deposits and withdrawals (property tests).
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "chain/embedded_ledger.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

class LedgerTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"og-ledger-test"};
  EmbeddedLedger ledger_{(dir_.path() / "ledger.db").string()};

  int64_t sum_of_all() {
    int64_t sum = 0;
    for (const auto& [name, balance] : ledger_.balances()) sum += balance;
    return sum;
  }
  int64_t sum_internal() {
    int64_t sum = 0;
    for (const auto& [name, balance] : ledger_.balances())
      if (name != kExternalAccount) sum += balance;
    return sum;
  }
};

TEST_F(LedgerTest, TransfersMoveMoneyOnceAndRecordBothSides) {
  EXPECT_EQ(ledger_.apply(Transfer{"faucet:1", kExternalAccount, "wallet:alice", 5'000'000, "deposit"}), 1u);
  EXPECT_EQ(ledger_.apply(Transfer{"lock:job:1", "wallet:alice", escrow_account(1), 2'000'000, "lock"}), 1u);
  // The same key again is a retry: nothing moves.
  EXPECT_EQ(ledger_.apply(Transfer{"lock:job:1", "wallet:alice", escrow_account(1), 2'000'000, "lock"}), 0u);
  EXPECT_EQ(ledger_.balance("wallet:alice"), 3'000'000);
  EXPECT_EQ(ledger_.balance(escrow_account(1)), 2'000'000);
  EXPECT_EQ(ledger_.balance(kExternalAccount), -5'000'000);
  auto history = ledger_.history("wallet:alice", 10);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].transfer.key, "lock:job:1");  // newest first
  ASSERT_TRUE(ledger_.find("faucet:1").has_value());
  EXPECT_EQ(ledger_.find("faucet:1")->transfer.amount, 5'000'000);
  EXPECT_FALSE(ledger_.find("nothing").has_value());
}

TEST_F(LedgerTest, AnOverdraftMovesNothingOfTheBatch) {
  ledger_.apply(Transfer{"d", kExternalAccount, "wallet:a", 100, ""});
  std::vector<Transfer> batch = {{"t1", "wallet:a", "wallet:b", 60, ""}, {"t2", "wallet:a", "wallet:c", 60, ""}};
  try {
    ledger_.apply(batch);
    FAIL() << "expected InsufficientFunds";
  } catch (const InsufficientFunds& e) {
    EXPECT_EQ(e.account(), "wallet:a");
    EXPECT_EQ(e.balance(), 40);
    EXPECT_EQ(e.needed(), 60);
  }
  EXPECT_EQ(ledger_.balance("wallet:a"), 100);
  EXPECT_EQ(ledger_.balance("wallet:b"), 0);
  EXPECT_FALSE(ledger_.find("t1").has_value()) << "the first transfer was rolled back too";
  EXPECT_THROW(ledger_.apply(Transfer{"z", "wallet:a", "wallet:b", 0, ""}), std::invalid_argument);
}

TEST_F(LedgerTest, RandomOperationsKeepTheInvariants) {
  std::mt19937_64 rng(11);
  const std::vector<std::string> accounts = {"wallet:a", "wallet:b", "wallet:c", escrow_account(1),
                                             escrow_account(2), bond_account("w"), kTreasuryAccount};
  int64_t deposited = 0, withdrawn = 0;
  std::vector<Transfer> done;
  for (int i = 0; i < 600; ++i) {
    int64_t amount = 1 + int64_t(rng() % 1000);
    Transfer t;
    t.key = "op:" + std::to_string(i);
    switch (rng() % 4) {
      case 0: t.from = kExternalAccount; t.to = accounts[rng() % accounts.size()]; break;
      case 1: t.from = accounts[rng() % accounts.size()]; t.to = kExternalAccount; break;
      default:
        t.from = accounts[rng() % accounts.size()];
        do t.to = accounts[rng() % accounts.size()]; while (t.to == t.from);
    }
    t.amount = amount;
    try {
      ledger_.apply(t);
      done.push_back(t);
      if (t.from == kExternalAccount) deposited += amount;
      if (t.to == kExternalAccount) withdrawn += amount;
    } catch (const InsufficientFunds&) {
    }
    // A replay of anything already done is a no-op.
    if (!done.empty() && rng() % 5 == 0) {
      EXPECT_EQ(ledger_.apply(done[rng() % done.size()]), 0u);
    }
    ASSERT_EQ(sum_of_all(), 0) << "after op " << i;
    ASSERT_EQ(sum_internal(), deposited - withdrawn) << "after op " << i;
    for (const auto& [name, balance] : ledger_.balances()) {
      if (name == kExternalAccount) continue;
      ASSERT_GE(balance, 0) << name;
    }
  }
  EXPECT_GT(done.size(), 300u);
}

TEST_F(LedgerTest, SurvivesReopening) {
  ledger_.apply(Transfer{"d", kExternalAccount, "wallet:a", 77, ""});
  EmbeddedLedger again((dir_.path() / "ledger.db").string());
  EXPECT_EQ(again.balance("wallet:a"), 77);
  EXPECT_EQ(again.apply(Transfer{"d", kExternalAccount, "wallet:a", 77, ""}), 0u);
}

}  // namespace
}  // namespace og
