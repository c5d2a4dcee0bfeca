// One behaviour, two backends: the ledger suite runs against the embedded ledger and the
// EVM ledger (anvil started by the test on a free loopback port, the contracts deployed,
// requesters funding their budgets on chain). Double entry, idempotency keys, no
// overdrafts, reopening — and settlements that pay each provider once, less the 1 % fee,
// which the EVM backend must also make true on the chain. Then what only the chain has:
// crashes between sending a batch and recording it, batching, a refused budget, linking.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

#include "chain/embedded_ledger.hpp"
#include "chain/evm_ledger.hpp"
#include "chain/evm_tx.hpp"
#include "chain/group_commit_ledger.hpp"
#include "chain/payment_keys.hpp"
#include "tests/integration/anvil.hpp"
#include "tests/integration/mesh.hpp"
#include "tests/unit/temp_dir.hpp"

namespace og::test {
namespace {

// The names the suite uses, and anvil's accounts behind them on the EVM backend.
const std::map<std::string, int> kAccounts = {{"alice", 1}, {"bob", 2}, {"p1", 3}, {"p2", 4}, {"p3", 5}};

// A backend under test: its ledger, and the ways money enters and leaves it.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Ledger& ledger() = 0;
  virtual std::unique_ptr<Ledger> reopen() = 0;
  // Puts `amount` in the user's wallet: a faucet here, a budget committed on chain there.
  virtual void fund(const std::string& name, int64_t amount) = 0;
  // Whatever must happen for payments to be final (the chain's batcher).
  virtual void settle() {}
  // What the name has been paid, where it can take it out: the book, or the chain's credits.
  virtual int64_t earned(const std::string& name) { return ledger().balance(wallet_account(name)); }
  virtual int64_t treasury() { return ledger().balance(kTreasuryAccount); }
  // What is left of the name's budget: the wallet, or the budget committed on chain.
  virtual int64_t budget(const std::string& name) { return ledger().balance(wallet_account(name)); }
  // The group-commit ledger, where escrow locks are queued rather than applied.
  virtual GroupCommitLedger* grouped() { return nullptr; }
};

// The embedded ledger alone, or behind og-schedd's group commit (`grouped`): the suite's
// escrow locks are queued there (counted at once, written by its writer thread or by the
// next read of the book).
class EmbeddedBackend : public Backend {
 public:
  explicit EmbeddedBackend(bool grouped)
      : ledger_(grouped ? std::make_unique<GroupCommitLedger>(std::make_unique<EmbeddedLedger>(path_))
                        : std::unique_ptr<Ledger>(std::make_unique<EmbeddedLedger>(path_))) {}
  Ledger& ledger() override { return *ledger_; }
  std::unique_ptr<Ledger> reopen() override { return std::make_unique<EmbeddedLedger>(path_); }
  void fund(const std::string& name, int64_t amount) override {
    ledger_->apply(Transfer{"faucet:" + name + ":" + std::to_string(++funded_), kExternalAccount, wallet_account(name),
                            amount, "deposit"});
  }
  GroupCommitLedger* grouped() override { return dynamic_cast<GroupCommitLedger*>(ledger_.get()); }

 private:
  TempDir dir_{"og-ledger-embedded"};
  std::string path_ = (dir_.path() / "ledger.db").string();
  std::unique_ptr<Ledger> ledger_;
  int funded_ = 0;
};

class EvmBackend : public Backend {
 public:
  explicit EvmBackend(size_t batch_size = 100, std::function<void(std::string_view)> fault = {})
      : minter_({anvil_.url(), anvil_key(0)}), contracts_(deploy_contracts(minter_, treasury_address)) {
    ledger_ = open(batch_size, std::move(fault));
    for (const auto& [name, account] : kAccounts) link(*ledger_, name);
  }
  std::unique_ptr<EvmLedger> open(size_t batch_size = 100, std::function<void(std::string_view)> fault = {}) {
    EvmLedgerOptions o;
    o.client = {anvil_.url(), anvil_key(0)};
    o.escrow = contracts_.escrow;
    o.from_block = contracts_.block;
    o.batch_size = batch_size;
    o.batch_delay = std::chrono::milliseconds(0);
    o.retry_after = std::chrono::hours(1);
    o.fault_point = std::move(fault);
    return std::make_unique<EvmLedger>(path_, std::move(o));
  }
  static void link(EvmLedger& ledger, const std::string& name) {
    std::string key = anvil_key(kAccounts.at(name));
    std::string address = evm::address_of(key);
    ledger.link(name, address, evm::sign_message(ledger.link_message(name, address), key));
  }
  Ledger& ledger() override { return *ledger_; }
  EvmLedger& evm() { return *ledger_; }
  std::unique_ptr<Ledger> reopen() override { return open(); }
  void fund(const std::string& name, int64_t amount) override {
    fund_budget(minter_, contracts_, anvil_key(kAccounts.at(name)), static_cast<uint64_t>(amount), anvil_.url());
    ledger_->settle_round(false);  // reads the Committed event
  }
  void settle() override { ledger_->flush(); }
  int64_t earned(const std::string& name) override {
    // What the chain pays leaves the book: a provider's wallet here holds none of it.
    EXPECT_EQ(ledger_->balance(wallet_account(name)), 0) << name << "'s earnings are on chain, not spendable here";
    return static_cast<int64_t>(ledger_->escrow().credits(address(name)));
  }
  int64_t treasury() override { return static_cast<int64_t>(ledger_->escrow().credits(treasury_address)); }
  int64_t budget(const std::string& name) override {
    return static_cast<int64_t>(ledger_->escrow().account(address(name)).committed);
  }
  static std::string address(const std::string& name) { return evm::address_of(anvil_key(kAccounts.at(name))); }
  void replace_ledger(std::unique_ptr<EvmLedger> l) { ledger_ = std::move(l); }
  const DeployedContracts& contracts() const { return contracts_; }
  const std::string& url() const { return anvil_.url(); }
  evm::EvmClient& minter() { return minter_; }

  const std::string treasury_address = std::string(20, '\x7e');

 private:
  TempDir dir_{"og-ledger-evm"};
  std::string path_ = (dir_.path() / "ledger.db").string();
  Anvil anvil_;
  evm::EvmClient minter_;
  DeployedContracts contracts_;
  std::unique_ptr<EvmLedger> ledger_;
};

class LedgerBackends : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "evm") {
      if (!foundry_installed()) GTEST_SKIP() << "SKIPPED: anvil/forge are not installed (scripts/install-deps.sh installs them)";
      backend_ = std::make_unique<EvmBackend>();
    } else {
      backend_ = std::make_unique<EmbeddedBackend>(GetParam() == "grouped");
    }
  }
  Ledger& ledger() { return backend_->ledger(); }
  // An escrow lock as og-schedd makes it: queued where the backend groups commits.
  void lock_escrow(const Transfer& t) {
    if (auto* grouped = backend_->grouped()) grouped->queue({t});
    else ledger().apply(t);
  }
  int64_t sum(bool internal_only) {
    int64_t s = 0;
    for (const auto& [name, balance] : ledger().balances())
      if (!internal_only || name != kExternalAccount) s += balance;
    return s;
  }
  // Job `job`: its lock, and the settlement plan_settlement would make for replicas paid
  // `gross` each (less the 1 % fee), the rest refunded.
  Transfer lock(uint64_t job, const std::string& user, int64_t amount) {
    return {"lock:job:" + std::to_string(job), wallet_account(user), escrow_account(job), amount, "lock"};
  }
  std::vector<Transfer> pay(const std::string& prefix, uint64_t job, const std::vector<std::pair<std::string, int64_t>>& gross,
                            uint64_t first_replica = 1) {
    std::vector<Transfer> out;
    uint64_t replica = first_replica;
    for (const auto& [provider, g] : gross) {
      out.push_back({pay_key(prefix, replica), escrow_account(job), wallet_account(provider), g - g / 100, "pay"});
      out.push_back({fee_key(prefix, replica), escrow_account(job), kTreasuryAccount, g / 100, "fee"});
      ++replica;
    }
    return out;
  }
  std::unique_ptr<Backend> backend_;
};

TEST_P(LedgerBackends, TransfersMoveMoneyOnceAndRecordBothSides) {
  EXPECT_EQ(ledger().apply(Transfer{"faucet:1", kExternalAccount, "wallet:alice", 5'000'000, "deposit"}), 1u);
  EXPECT_EQ(ledger().apply(Transfer{"lock:job:1", "wallet:alice", escrow_account(1), 2'000'000, "lock"}), 1u);
  // The same key again is a retry: nothing moves.
  EXPECT_EQ(ledger().apply(Transfer{"lock:job:1", "wallet:alice", escrow_account(1), 2'000'000, "lock"}), 0u);
  EXPECT_EQ(ledger().balance("wallet:alice"), 3'000'000);
  EXPECT_EQ(ledger().balance(escrow_account(1)), 2'000'000);
  EXPECT_EQ(ledger().balance(kExternalAccount), -5'000'000);
  auto history = ledger().history("wallet:alice", 10);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].transfer.key, "lock:job:1");  // newest first
  ASSERT_TRUE(ledger().find("faucet:1").has_value());
  EXPECT_EQ(ledger().find("faucet:1")->transfer.amount, 5'000'000);
  EXPECT_FALSE(ledger().find("nothing").has_value());
}

TEST_P(LedgerBackends, AnOverdraftMovesNothingOfTheBatch) {
  ledger().apply(Transfer{"d", kExternalAccount, "wallet:a", 100, ""});
  std::vector<Transfer> batch = {{"t1", "wallet:a", "wallet:b", 60, ""}, {"t2", "wallet:a", "wallet:c", 60, ""}};
  try {
    ledger().apply(batch);
    FAIL() << "expected InsufficientFunds";
  } catch (const InsufficientFunds& e) {
    EXPECT_EQ(e.account(), "wallet:a");
    EXPECT_EQ(e.balance(), 40);
    EXPECT_EQ(e.needed(), 60);
  }
  EXPECT_EQ(ledger().balance("wallet:a"), 100);
  EXPECT_EQ(ledger().balance("wallet:b"), 0);
  EXPECT_FALSE(ledger().find("t1").has_value()) << "the first transfer was rolled back too";
  EXPECT_THROW(ledger().apply(Transfer{"z", "wallet:a", "wallet:b", 0, ""}), std::invalid_argument);
}

TEST_P(LedgerBackends, RandomOperationsKeepTheInvariants) {
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
      if (t.from.rfind("wallet:", 0) == 0 && t.to.rfind("escrow:", 0) == 0) lock_escrow(t);
      else ledger().apply(t);
      done.push_back(t);
      if (t.from == kExternalAccount) deposited += amount;
      if (t.to == kExternalAccount) withdrawn += amount;
    } catch (const InsufficientFunds&) {
    }
    // A replay of anything already done is a no-op.
    if (!done.empty() && rng() % 5 == 0) {
      EXPECT_EQ(ledger().apply(done[rng() % done.size()]), 0u);
    }
    ASSERT_EQ(sum(false), 0) << "after op " << i;
    ASSERT_EQ(sum(true), deposited - withdrawn) << "after op " << i;
    for (const auto& [name, balance] : ledger().balances()) {
      if (name == kExternalAccount) continue;
      ASSERT_GE(balance, 0) << name;
    }
  }
  EXPECT_GT(done.size(), 300u);
}

TEST_P(LedgerBackends, SurvivesReopening) {
  ledger().apply(Transfer{"d", kExternalAccount, "wallet:a", 77, ""});
  auto again = backend_->reopen();
  EXPECT_EQ(again->balance("wallet:a"), 77);
  EXPECT_EQ(again->apply(Transfer{"d", kExternalAccount, "wallet:a", 77, ""}), 0u);
}

// A job's life in money: funded, locked, paid to two providers less the 1 % fee, the rest
// refunded; a retried settlement moves nothing. Where providers can take their earnings
// out — the book, or the chain — they find exactly what the book says.
TEST_P(LedgerBackends, ASettlementPaysEachProviderOnceLessTheFee) {
  backend_->fund("alice", 10'000'000);
  EXPECT_EQ(ledger().balance(wallet_account("alice")), 10'000'000);
  lock_escrow(lock(7, "alice", 3'000'000));
  auto settlement = pay(settlement_key_prefix(7), 7, {{"p1", 1'000'000}, {"p2", 1'000'001}});
  settlement.push_back({settlement_key_prefix(7) + "refund", escrow_account(7), wallet_account("alice"), 999'999, "refund"});
  EXPECT_EQ(ledger().apply(settlement), 5u);
  EXPECT_EQ(ledger().apply(settlement), 0u) << "a retried settlement moves nothing";
  backend_->settle();
  backend_->settle();
  EXPECT_EQ(backend_->earned("p1"), 990'000);
  EXPECT_EQ(backend_->earned("p2"), 990'001) << "1,000,001 less a fee of 10,000, rounded down";
  EXPECT_EQ(backend_->treasury(), 20'000);
  EXPECT_EQ(sum(false), 0) << "double entry holds either way";
  EXPECT_EQ(backend_->budget("alice"), 10'000'000 - 2'000'001);
  EXPECT_EQ(ledger().balance(wallet_account("alice")), 10'000'000 - 2'000'001);
  EXPECT_EQ(ledger().balance(escrow_account(7)), 0);
}

// Milestones pay before the end; the final settlement pays the rest. Each is paid once.
TEST_P(LedgerBackends, MilestonesAndTheSettlementArePaidSeparatelyAndOnce) {
  backend_->fund("alice", 5'000'000);
  lock_escrow(lock(8, "alice", 4'000'000));
  ledger().apply(pay(milestone_key_prefix(8, 1), 8, {{"p1", 500'000}, {"p2", 500'000}}));
  backend_->settle();
  EXPECT_EQ(backend_->earned("p1"), 495'000) << "paid at the milestone";
  ledger().apply(pay(milestone_key_prefix(8, 2), 8, {{"p1", 300'000}, {"p2", 300'000}}));
  auto end = pay(settlement_key_prefix(8), 8, {{"p1", 200'000}, {"p2", 200'000}});
  end.push_back({settlement_key_prefix(8) + "refund", escrow_account(8), wallet_account("alice"), 2'000'000, "refund"});
  ledger().apply(end);
  backend_->settle();
  EXPECT_EQ(backend_->earned("p1"), 495'000 + 297'000 + 198'000);
  EXPECT_EQ(backend_->earned("p2"), backend_->earned("p1"));
  EXPECT_EQ(backend_->treasury(), 2 * (5'000 + 3'000 + 2'000));
  EXPECT_EQ(backend_->budget("alice"), 3'000'000);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerBackends, ::testing::Values("embedded", "grouped", "evm"),
                         [](const auto& info) { return info.param; });

// ---- what only the chain has -------------------------------------------------------------

class EvmLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!foundry_installed()) GTEST_SKIP() << "SKIPPED: anvil/forge are not installed (scripts/install-deps.sh installs them)";
  }
  // Job `job` of `user`, settled: p1, p2 and p3 each paid `gross`.
  static std::vector<Transfer> job_paid(uint64_t job, const std::string& user, int64_t gross) {
    std::vector<Transfer> out = {{"lock:job:" + std::to_string(job), wallet_account(user), escrow_account(job), 3 * gross, "lock"}};
    uint64_t replica = job * 10;
    for (const char* p : {"p1", "p2", "p3"}) {
      std::string prefix = settlement_key_prefix(job);
      out.push_back({pay_key(prefix, replica), escrow_account(job), wallet_account(p), gross - gross / 100, "pay"});
      out.push_back({fee_key(prefix, replica), escrow_account(job), kTreasuryAccount, gross / 100, "fee"});
      ++replica;
    }
    return out;
  }
};

struct Crash : std::runtime_error {
  Crash() : std::runtime_error("crash") {}
};

// A fault point that stands for og-schedd dying at `stage`.
std::function<void(std::string_view)> crash_at(std::string_view stage) {
  return [stage](std::string_view now) {
    if (now == stage) throw Crash();
  };
}

// og-schedd dies after the batch's transaction went out but before it recorded the
// receipt. Restarted, it reads the JobSettled events and records the job paid: the chain
// pays it once.
TEST_F(EvmLedgerTest, ACrashAfterSendingIsReconciledFromEventsAndPaysOnce) {
  EvmBackend b(100, crash_at("sent"));
  b.fund("alice", 10'000'000);
  b.ledger().apply(job_paid(1, "alice", 100'000));
  EXPECT_THROW(b.evm().flush(), Crash);
  EXPECT_EQ(b.evm().status().in_flight, 1u);
  b.replace_ledger(nullptr);
  b.replace_ledger(b.open());
  b.evm().flush();
  auto s = b.evm().status();
  EXPECT_EQ(s.paid, 1u);
  EXPECT_EQ(s.in_flight + s.pending + s.held, 0u);
  EXPECT_EQ(b.earned("p1"), 99'000) << "paid once, not again after the restart";
  EXPECT_EQ(b.budget("alice"), 10'000'000 - 300'000);
}

// The transaction is out but not mined yet (anvil told not to mine) when og-schedd dies.
// Restarted, it neither sends the batch again nor gives up on it: it waits, and records
// the payment once the transaction is mined.
TEST_F(EvmLedgerTest, ABatchStillPendingStaysInFlightUntilMined) {
  EvmBackend b(100, crash_at("sent"));
  b.fund("alice", 10'000'000);
  b.ledger().apply(job_paid(3, "alice", 100'000));
  b.evm().client().rpc().call("evm_setAutomine", {false});
  EXPECT_THROW(b.evm().flush(), Crash);
  b.replace_ledger(b.open());
  EXPECT_THROW(b.evm().flush(), std::runtime_error) << "still pending";
  EXPECT_EQ(b.evm().status().in_flight, 1u) << "not sent a second time";
  b.evm().client().rpc().call("evm_mine");
  b.evm().client().rpc().call("evm_setAutomine", {true});
  b.evm().flush();
  EXPECT_EQ(b.evm().status().paid, 1u);
  EXPECT_EQ(b.earned("p1"), 99'000);
  EXPECT_EQ(b.budget("alice"), 10'000'000 - 300'000);
}

// og-schedd dies after marking a batch in flight but before sending it: the chain knows
// nothing of it, so after the restart it is sent, and paid once.
TEST_F(EvmLedgerTest, ACrashBeforeSendingIsSentAfterTheRestart) {
  EvmBackend b(100, crash_at("claimed"));
  b.fund("alice", 10'000'000);
  b.ledger().apply(job_paid(2, "alice", 100'000));
  EXPECT_THROW(b.evm().flush(), Crash);
  EXPECT_EQ(b.earned("p1"), 0);
  b.replace_ledger(b.open());
  b.evm().flush();
  EXPECT_EQ(b.evm().status().paid, 1u);
  EXPECT_EQ(b.earned("p1"), 99'000);
  EXPECT_EQ(b.treasury(), 3'000);
}

// 25 jobs in batches of 10: three transactions, each netted.
TEST_F(EvmLedgerTest, PaymentsGoInBatchesOfTheConfiguredSize) {
  EvmBackend b(10);
  b.fund("alice", 100'000'000);
  for (uint64_t job = 1; job <= 25; ++job) b.ledger().apply(job_paid(job, "alice", 10'000));
  EXPECT_EQ(b.evm().flush(), 25u);
  auto s = b.evm().status();
  EXPECT_EQ(s.batches, 3u);
  EXPECT_EQ(s.paid, 25u);
  EXPECT_EQ(b.earned("p3"), 25 * 9'900);
  EXPECT_EQ(b.budget("alice"), 100'000'000 - 25 * 30'000);
  std::cout << "3 batches (10, 10, 5 jobs): " << s.gas_used << " gas, " << s.gas_used / 25 << " per job\n";
}

// Issue 6's target, through og-schedd's ledger rather than a hand-made batch: 100 jobs,
// each paying 3 providers (who already hold earnings) less the fee, in one netted
// transaction of at most 10k gas per job, all in.
TEST_F(EvmLedgerTest, ABatchOf100JobsCostsUnder10kGasPerJob) {
  EvmBackend b(100);
  b.fund("alice", 100'000'000);
  b.ledger().apply(job_paid(1, "alice", 10'000));
  b.evm().flush();
  uint64_t before = b.evm().status().gas_used;
  for (uint64_t job = 2; job <= 101; ++job) b.ledger().apply(job_paid(job, "alice", 10'000));
  EXPECT_EQ(b.evm().flush(), 100u);
  uint64_t per_job = (b.evm().status().gas_used - before) / 100;
  std::cout << "og-schedd's EvmLedger, a batch of 100 jobs: " << per_job << " gas per job\n";
  RecordProperty("gas_per_job_batch_of_100", std::to_string(per_job));
  EXPECT_LE(per_job, 10'000u);
  EXPECT_EQ(b.earned("p2"), 101 * 9'900);
}

// Bob's budget expired on chain: a batch holding his job and Alice's is refused whole;
// retried one by one, Alice's jobs are paid and Bob's alone is held, with the reason.
TEST_F(EvmLedgerTest, ARefusedBudgetHoldsUpOnlyItsOwnJobs) {
  EvmBackend b(100);
  b.fund("alice", 10'000'000);
  // Bob commits with a date already past.
  fund_budget(b.minter(), b.contracts(), anvil_key(kAccounts.at("bob")), 1'000'000, b.url(), 1);
  b.evm().settle_round(false);
  EXPECT_EQ(b.ledger().balance(wallet_account("bob")), 1'000'000) << "credited from the Committed event";
  b.ledger().apply(job_paid(1, "alice", 10'000));
  b.ledger().apply(job_paid(2, "bob", 10'000));
  b.ledger().apply(job_paid(3, "alice", 10'000));
  EXPECT_EQ(b.evm().flush(), 2u);
  auto s = b.evm().status();
  EXPECT_EQ(s.paid, 2u);
  EXPECT_EQ(s.held, 1u);
  EXPECT_NE(s.last_error.find("BudgetExpired"), std::string::npos) << s.last_error;
  EXPECT_EQ(b.earned("p1"), 2 * 9'900);
}

// A name is linked to an address only by that address's key; an address serves one name;
// what it committed before the link is credited when the link is made.
TEST_F(EvmLedgerTest, LinkingAnAddressNeedsItsKeyAndCreditsWhatItCommittedBefore) {
  EvmBackend b(100);
  std::string carol_key = anvil_key(0);  // the minter's account doubles as an unlinked requester here
  std::string carol = evm::address_of(carol_key);
  std::string message = b.evm().link_message("carol", carol);
  EXPECT_THROW(b.evm().link("carol", carol, evm::sign_message(message, anvil_key(1))), std::invalid_argument)
      << "signed by someone else";
  EXPECT_THROW(b.evm().link("carol", EvmBackend::address("alice"),
                            evm::sign_message(b.evm().link_message("carol", EvmBackend::address("alice")), anvil_key(1))),
               std::invalid_argument)
      << "alice's address is alice's";
  fund_budget(b.minter(), b.contracts(), carol_key, 2'000'000, b.url());
  b.evm().settle_round(false);  // the batcher sees the event before the link: not credited
  EXPECT_EQ(b.ledger().balance(wallet_account("carol")), 0);
  b.evm().link("carol", carol, evm::sign_message(message, carol_key));
  EXPECT_EQ(b.ledger().balance(wallet_account("carol")), 2'000'000);
  b.evm().settle_round(false);
  EXPECT_EQ(b.ledger().balance(wallet_account("carol")), 2'000'000) << "credited once";
  std::string other = evm::address_of(anvil_key(5));
  EXPECT_THROW(b.evm().link("carol", other, evm::sign_message(b.evm().link_message("carol", other), anvil_key(5))),
               std::invalid_argument)
      << "a link is for good: payments owed bill the address jobs were locked under";
}

}  // namespace
}  // namespace og::test
