// The EVM client against a real local chain: anvil on a free loopback port, contracts
// compiled by forge, transactions signed in C++ (chain/evm_tx), receipts awaited.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "chain/abi.hpp"
#include "chain/evm_client.hpp"
#include "chain/evm_tx.hpp"
#include "chain/job_escrow.hpp"
#include "chain/provider_registry.hpp"
#include "core/hex.hpp"
#include "core/process.hpp"
#include "tests/integration/anvil.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;
using namespace og::evm;

const std::string kOwnerKey = anvil_key(0);
const std::string kOtherKey = anvil_key(1);

class EvmAnvil : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!foundry_installed()) GTEST_SKIP() << "SKIPPED: anvil/forge are not installed (scripts/install-deps.sh installs them)";
    anvil = std::make_unique<Anvil>();
    url = anvil->url();
  }
  std::unique_ptr<Anvil> anvil;
  std::string url;
};

TEST_F(EvmAnvil, DeploysMintsAndReadsBackWithTransactionsSignedHere) {
  EvmClient owner({url, kOwnerKey});
  EXPECT_EQ(owner.chain_id(), 31337u);
  std::string token = owner.deploy(creation_code("TestStablecoin"));
  std::string alice = address_of(kOtherKey);
  auto r = owner.transact(token, abi::encode_call("mint(address,uint256)", {abi::word(abi::address_word(alice)),
                                                                            abi::word(abi::uint_word(1'000'000))}),
                          200'000);
  EXPECT_GT(r.gas_used, 21'000u);
  ASSERT_EQ(r.logs.size(), 1u) << "one Transfer event";
  std::string balance = owner.call(token, abi::encode_call("balanceOf(address)", {abi::word(abi::address_word(alice))}));
  EXPECT_EQ(abi::read_uint(balance, 0), 1'000'000u);
  EXPECT_EQ(abi::read_uint(owner.call(token, abi::encode_call("decimals()", {})), 0), 6u);
}

TEST_F(EvmAnvil, ARevertIsReportedNotMistakenForSuccess) {
  EvmClient owner({url, kOwnerKey}), other({url, kOtherKey});
  std::string token = owner.deploy(creation_code("TestStablecoin"));
  std::string mint = abi::encode_call("mint(address,uint256)", {abi::word(abi::address_word(other.address())),
                                                                abi::word(abi::uint_word(5))});
  Receipt r = other.wait(other.send(token, mint, 200'000));  // only the deployer mints
  EXPECT_FALSE(r.success);
  EXPECT_THROW(other.transact(token, mint, 200'000), std::runtime_error);
}

TEST_F(EvmAnvil, TwoClientsOnOneKeyKeepTheirNoncesStraight) {
  EvmClient first({url, kOwnerKey}), second({url, kOwnerKey});
  std::string token = first.deploy(creation_code("TestStablecoin"));  // first's nonce moves on
  // second still thinks nonce 0 is free: the node says otherwise, it re-reads and succeeds.
  auto r = second.transact(token, abi::encode_call("mint(address,uint256)", {abi::word(abi::address_word(second.address())),
                                                                             abi::word(abi::uint_word(7))}),
                           200'000);
  EXPECT_TRUE(r.success);
}

// The escrow on a real chain: a requester (account 1) deposits and commits a budget in its
// own transactions; the settlement address (account 0) pays 100 jobs to 3 providers in one
// netted batch. The receipt's gas, per job, must meet issue 6's target; the JobSettled
// events then tell a restarted og-schedd which jobs the chain has paid.
class EscrowOnAnvil : public EvmAnvil {
 protected:
  void SetUp() override {
    EvmAnvil::SetUp();
    if (IsSkipped()) return;
    settlement = std::make_unique<EvmClient>(EvmClientOptions{url, kOwnerKey});
    requester = std::make_unique<EvmClient>(EvmClientOptions{url, kOtherKey});
    std::string token = settlement->deploy(creation_code("TestStablecoin"));
    escrow_address = settlement->deploy(creation_code("JobEscrow") + abi::address_word(token) +
                                        abi::address_word(settlement->address()) + abi::address_word(treasury));
    auto addr = [](const std::string& a) { return abi::word(abi::address_word(a)); };
    auto num = [](uint64_t v) { return abi::word(abi::uint_word(v)); };
    settlement->transact(token, abi::encode_call("mint(address,uint256)", {addr(requester->address()), num(1'000'000'000)}), 200'000);
    requester->transact(token, abi::encode_call("approve(address,uint256)", {addr(escrow_address), num(1'000'000'000)}), 200'000);
    requester->transact(escrow_address, abi::encode_call("deposit(uint96)", {num(1'000'000'000)}), 200'000);
    requester->transact(escrow_address, abi::encode_call("commit(uint96,uint64)", {num(900'000'000), num(4'000'000'000)}), 200'000);
    escrow = std::make_unique<JobEscrowContract>(*settlement, escrow_address);
  }
  std::vector<BatchJob> jobs(uint64_t first, size_t n) {
    std::vector<BatchJob> out;
    for (size_t j = 0; j < n; ++j) out.push_back({first + j, requester->address(), {{providers[0], 1'000}, {providers[1], 1'000}, {providers[2], 1'000}}});
    return out;
  }
  std::string treasury = std::string(20, '\x7e');
  std::vector<std::string> providers = {std::string(20, '\x01'), std::string(20, '\x02'), std::string(20, '\x03')};
  std::unique_ptr<EvmClient> settlement, requester;
  std::string escrow_address;
  std::unique_ptr<JobEscrowContract> escrow;
};

TEST_F(EscrowOnAnvil, ABatchOf100JobsSettlesUnder10kGasPerJob) {
  escrow->settle_batch(jobs(1, 1));  // providers hold credits from now on
  Receipt r = escrow->settle_batch(jobs(1'000, 100));
  uint64_t per_job = r.gas_used / 100;
  RecordProperty("gas_per_job_batch_of_100", std::to_string(per_job));
  std::cout << "on anvil: batch of 100 jobs, " << r.gas_used << " gas, " << per_job << " per job\n";
  EXPECT_LE(per_job, 10'000u);
  EXPECT_EQ(escrow->credits(providers[0]), 101u * 990u) << "101 payments of 1,000 less the 1 % fee";
  EXPECT_EQ(escrow->credits(treasury), 303u * 10u);
  EXPECT_EQ(escrow->account(requester->address()).committed, 900'000'000u - 101u * 3'000u) << "debited once per batch";
}

TEST_F(EscrowOnAnvil, TheChainSaysWhichJobsItPaidAndPaysNoneTwice) {
  escrow->settle_batch(jobs(50, 3));
  auto paid = escrow->settled_since(0);
  EXPECT_EQ(paid, (std::vector<uint64_t>{50, 51, 52}));
  EXPECT_TRUE(escrow->is_used(51));
  EXPECT_FALSE(escrow->is_used(53));
  // A batch resent after a crash, overlapping what was paid: refused whole, nothing moves.
  uint64_t before = escrow->credits(providers[0]);
  EXPECT_THROW(escrow->settle_batch(jobs(52, 2)), std::runtime_error);
  EXPECT_EQ(escrow->credits(providers[0]), before);
  escrow->settle_batch(jobs(53, 1));  // only what the chain has not paid
  EXPECT_EQ(escrow->settled_since(0).size(), 4u);
}

TEST_F(EvmAnvil, OgChainDeploysTheContractsAndMintsWithAKeyFromAFile) {
  const std::string& built = contracts_build_dir();
  std::string key_file = built + "/owner-" + std::to_string(::getpid()) + ".key";
  std::ofstream(key_file) << to_hex(kOwnerKey) << "\n";
  auto run = [&](std::vector<std::string> argv) {
    SpawnOptions o;
    o.argv = std::move(argv);
    o.argv.insert(o.argv.begin(), bin_path("og-chain"));
    o.stdout_path = built + "/og-chain.out";
    o.stderr_path = built + "/og-chain.err";
    std::filesystem::remove(o.stdout_path);
    int status = 0;
    ::waitpid(spawn_process(o), &status, 0);
    EXPECT_EQ(exit_code_from_wait_status(status), 0) << read_file(o.stderr_path);
    return read_file(o.stdout_path);
  };
  auto deployed = nlohmann::json::parse(
      run({"deploy", "--rpc", url, "--key-file", key_file, "--artifacts", built + "/out", "--min-bond", "10"}));
  EXPECT_EQ(deployed["chain_id"], 31337);
  JsonRpc node(url);
  for (const char* c : {"token", "registry", "escrow"})
    EXPECT_GT(node.call("eth_getCode", {deployed[c], "latest"}).get<std::string>().size(), 2u) << c << " has code";
  std::string holder = to_data(address_of(kOtherKey));
  run({"mint", "--rpc", url, "--key-file", key_file, "--token", deployed["token"], "--to", holder, "12.5"});
  EXPECT_EQ(run({"balance", "--rpc", url, "--token", deployed["token"], holder}), "12.500000\n");
}

// Bonds on chain: a provider (account 1) bonds with its own key, starts unbonding, and the
// settlement address (account 0) slashes it — bond first, then what is unbonding.
TEST_F(EvmAnvil, AProviderBondsAndIsSlashedOnChain) {
  EvmClient settlement({url, kOwnerKey}), provider({url, kOtherKey});
  std::string token = settlement.deploy(creation_code("TestStablecoin"));
  std::string registry_address = settlement.deploy(creation_code("ProviderRegistry") + abi::address_word(token) +
                                                   abi::address_word(settlement.address()) + abi::uint_word(3600) +
                                                   abi::uint_word(10'000'000));
  auto addr = [](const std::string& a) { return abi::word(abi::address_word(a)); };
  settlement.transact(token, abi::encode_call("mint(address,uint256)", {addr(provider.address()), abi::word(abi::uint_word(50'000'000))}), 0);
  provider.transact(token, abi::encode_call("approve(address,uint256)", {addr(registry_address), abi::word(abi::uint_word(50'000'000))}), 0);
  ProviderRegistryContract as_provider(provider, registry_address), as_settlement(settlement, registry_address);
  as_provider.bond(20'000'000);
  EXPECT_TRUE(as_settlement.is_bonded(provider.address()));
  as_provider.request_unbond(15'000'000);
  ProviderBond b = as_settlement.bond_of(provider.address());
  EXPECT_EQ(b.bonded, 5'000'000u);
  EXPECT_EQ(b.unbonding, 15'000'000u);
  EXPECT_GT(b.unbond_at, 0u);
  std::string requester = std::string(20, '\x42');
  as_settlement.slash(provider.address(), 8'000'000, requester);
  b = as_settlement.bond_of(provider.address());
  EXPECT_EQ(b.bonded, 0u) << "the bond first";
  EXPECT_EQ(b.unbonding, 12'000'000u) << "then what is leaving";
  EXPECT_THROW(as_provider.slash(provider.address(), 1, requester), std::exception) << "only the settlement slashes";
}

TEST(ChainLocal, StartsAChainWithTheContractsDeployedAndStopsIt) {
  if (!foundry_installed()) GTEST_SKIP() << "SKIPPED: anvil is not installed";
  std::string dir = fs::temp_directory_path() / ("og-chain-local-" + std::to_string(::getpid()));
  auto script = [&](const std::string& command) {
    SpawnOptions o;
    o.argv = {source_path("scripts/chain-local.sh"), command, dir};
    o.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "OG_BIN=" + bin_path("").substr(0, bin_path("").size() - 1)};
    o.stdout_path = dir + ".out";
    o.stderr_path = dir + ".err";
    int status = 0;
    ::waitpid(spawn_process(o), &status, 0);
    EXPECT_EQ(exit_code_from_wait_status(status), 0) << read_file(dir + ".err");
    return read_file(dir + ".out");
  };
  std::string exports = script("start");
  EXPECT_NE(exports.find("export OG_CHAIN_RPC=http://127.0.0.1:"), std::string::npos) << exports;
  auto deployment = nlohmann::json::parse(read_file(dir + "/deployment.json"));
  size_t at = exports.find("OG_CHAIN_RPC=") + 13;
  std::string url = exports.substr(at, exports.find('\n', at) - at);
  JsonRpc node(url);
  for (const char* c : {"token", "registry", "escrow"})
    EXPECT_GT(node.call("eth_getCode", {deployment[c], "latest"}).get<std::string>().size(), 2u) << c;
  pid_t pid = std::stoi(read_file(dir + "/anvil.pid"));
  script("stop");
  EXPECT_TRUE(await([&] { return ::kill(pid, 0) != 0; })) << "anvil stopped by its PID";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::remove(dir + ".out", ec);
  fs::remove(dir + ".err", ec);
}

}  // namespace
}  // namespace og::test
