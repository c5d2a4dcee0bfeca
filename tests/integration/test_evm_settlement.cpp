// og-schedd settling on a real chain, through the binaries: og-chain deploys the contracts
// on anvil, users link their names to their addresses (og-wallet link) and commit budgets
// (og-chain commit), a job runs on two workers, and its payments arrive on chain —
// exactly once, also after og-schedd is killed with SIGKILL and restarted.
#include <gtest/gtest.h>

#include <fstream>

#include "chain/evm_tx.hpp"
#include "chain/json_rpc.hpp"
#include "core/hex.hpp"
#include "core/money.hpp"
#include "tests/integration/anvil.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

class EvmSettlement : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!foundry_installed()) GTEST_SKIP() << "SKIPPED: anvil/forge are not installed (scripts/install-deps.sh installs them)";
    anvil = std::make_unique<Anvil>();
    settlement_key = key_file("settlement", 0);
    auto r = mesh.run({"og-chain", "deploy", "--rpc", anvil->url(), "--key-file", settlement_key, "--artifacts",
                       contracts_build_dir() + "/out", "--out", mesh.dir() + "/deployment.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    deployment = nlohmann::json::parse(read_file(mesh.dir() + "/deployment.json"));
    mesh.start_schedd({"--ledger", "evm", "--chain-rpc", anvil->url(), "--chain-deployment",
                       mesh.dir() + "/deployment.json", "--chain-key-file", settlement_key, "--settle-delay", "100"});
  }

  std::string key_file(const std::string& name, int account) {
    std::string path = mesh.dir() + "/" + name + ".chain-key";
    std::ofstream(path) << to_hex(anvil_key(account)) << "\n";
    return path;
  }
  // The user links their name to anvil account `account` and commits `amount` tokens.
  void join(const std::string& user, const std::string& role, int account, const std::string& amount) {
    mesh.token(user, role);
    std::string key = key_file(user, account);
    std::string address = evm::to_data(evm::address_of(anvil_key(account)));
    auto r = mesh.run({"og-chain", "mint", "--rpc", anvil->url(), "--key-file", settlement_key, "--token",
                       deployment["token"], "--to", address, amount});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = mesh.run({"og-wallet", "link", "--key-file", key}, user);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(address), std::string::npos) << r.out;
    r = mesh.run({"og-chain", "commit", "--rpc", anvil->url(), "--deployment", mesh.dir() + "/deployment.json",
                  "--key-file", key, amount}, user);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    int64_t want = parse_money_micros(amount);
    EXPECT_TRUE(await([&] { return micros(wallet(user), "balance") == want; })) << "the Committed event credits " << user;
  }
  nlohmann::json wallet(const std::string& user) { return mesh.client(user).call("GET", "/og/v1/wallet"); }
  static int64_t micros(const nlohmann::json& j, const char* field) { return parse_money_micros(j.value(field, "0")); }
  int64_t credits(const std::string& address) {
    auto r = mesh.run({"og-chain", "credits", "--rpc", anvil->url(), "--deployment", mesh.dir() + "/deployment.json", address});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_money_micros(r.out.substr(0, r.out.find('\n')));
  }

  Mesh mesh;
  std::unique_ptr<Anvil> anvil;
  std::string settlement_key;
  nlohmann::json deployment;
};

TEST_F(EvmSettlement, AJobsPaymentsArriveOnChainOnceEvenAcrossAKilledScheduler) {
  join("alice", "user", 1, "100");
  join("worker-1", "worker", 3, "20");
  join("worker-2", "worker", 4, "20");
  mesh.start_worker(1, {"--price", "36"}, "worker-1");
  mesh.start_worker(1, {"--price", "36"}, "worker-2");
  mesh.await_workers(2);
  EXPECT_EQ(micros(wallet("worker-1"), "bond"), 10'000'000) << "the bond came out of the committed budget";

  auto r = mesh.run({"og-wallet", "deposit", "5"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("og-chain commit"), std::string::npos) << "no faucet on chain: " << r.err;

  std::string script = mesh.write_script(
      "job.sh", "#!/bin/bash\n#SBATCH --replicas=2 --time=10 --max-price=36\nsleep 1\necho 42 >answer.txt\n");
  uint64_t id = mesh.sbatch({script});
  ASSERT_TRUE(await([&] { return mesh.job(id).value("settled", false); }, std::chrono::seconds(60)));
  auto job = mesh.job(id);
  ASSERT_EQ(job["job_state"], "COMPLETED");
  int64_t cost = parse_money_micros(job["cost"].get<std::string>());
  int64_t fee = parse_money_micros(job["fee"].get<std::string>());
  ASSERT_GT(cost, 0);

  // The book and the chain agree: each provider's earnings wait for it in JobEscrow.
  std::string w1 = evm::to_data(evm::address_of(anvil_key(3))), w2 = evm::to_data(evm::address_of(anvil_key(4)));
  ASSERT_TRUE(await([&] { return credits(w1) > 0 && credits(w2) > 0; }, std::chrono::seconds(30)))
      << "payments on chain: " << wallet("alice").dump();
  EXPECT_EQ(credits(w1) + credits(w2), cost - fee);
  EXPECT_EQ(micros(wallet("worker-1"), "balance"), 10'000'000) << "earnings wait on chain, not in the book";
  EXPECT_EQ(credits(deployment["treasury"]), fee) << "the 1 % fee, credited to the treasury on chain";
  auto alice = wallet("alice");
  ASSERT_TRUE(alice.contains("chain"));
  EXPECT_EQ(micros(alice["chain"], "budget"), 100'000'000 - cost) << "the budget paid the cost, no more";
  EXPECT_EQ(micros(alice, "balance"), 100'000'000 - cost);
  EXPECT_EQ(alice["chain"]["payments_pending"], 0);
  auto shown = mesh.run({"og-wallet", "balance"});
  EXPECT_NE(shown.out.find("on chain: " + evm::to_data(evm::address_of(anvil_key(1)))), std::string::npos) << shown.out;

  // Killed and restarted: nothing is paid again.
  int64_t before = credits(w1);
  mesh.kill_schedd(9);
  mesh.start_schedd();
  EXPECT_EQ(micros(wallet("worker-1"), "balance"), 10'000'000);
  EXPECT_EQ(wallet("alice")["chain"]["payments_pending"], 0);
  EXPECT_EQ(credits(w1), before);

  // Its book settles on this chain and escrow: without --ledger evm it does not start.
  auto refused = mesh.run({"og-schedd", "--state", mesh.dir() + "/schedd", "--listen", "127.0.0.1:0"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("settles on chain"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace og::test
