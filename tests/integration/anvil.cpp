#include "tests/integration/anvil.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>

#include "chain/abi.hpp"
#include "chain/json_rpc.hpp"
#include "core/hex.hpp"
#include "core/process.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace abi = og::evm::abi;
namespace {

namespace fs = std::filesystem;

uint16_t free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// Contracts compiled by forge into the build tree, shared by every test process: forge's
// cache makes a build with nothing changed quick, and a lock keeps two test processes
// from writing it at once.
struct BuiltContracts {
  std::string dir = std::string(OG_BIN_DIR) + "/../contracts";
  BuiltContracts() {
    fs::create_directories(dir);
    int lock = ::open((dir + "/.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + dir + "/.lock");
    SpawnOptions o;
    o.argv = {foundry_tool("forge"), "build", "--root", source_path("contracts"), "--out", dir + "/out", "--cache-path",
              dir + "/cache", "--skip", "test", "--quiet"};
    o.cwd = source_path("contracts");  // foundry.toml names its solc relative to here
    o.stdout_path = o.stderr_path = dir + "/forge.log";
    int status = 0;
    ::waitpid(spawn_process(o), &status, 0);
    ::close(lock);
    if (exit_code_from_wait_status(status) != 0) throw std::runtime_error("forge build failed: " + read_file(dir + "/forge.log"));
  }
};

const BuiltContracts& built() {
  static const BuiltContracts b;
  return b;
}

}  // namespace

std::string anvil_key(int account) {
  static const char* keys[] = {
      "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
      "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
      "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
      "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
      "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  };
  return from_hex(keys[account]).value();
}

std::string foundry_tool(const std::string& name) {
  return source_path("contracts/node_modules/@foundry-rs/" + name + "-linux-amd64/bin/" + name);
}

bool foundry_installed() {
  return ::access(foundry_tool("anvil").c_str(), X_OK) == 0 && ::access(foundry_tool("forge").c_str(), X_OK) == 0;
}

const std::string& contracts_build_dir() { return built().dir; }

std::string creation_code(const std::string& contract) {
  auto artifact = nlohmann::json::parse(read_file(built().dir + "/out/" + contract + ".sol/" + contract + ".json"));
  return evm::from_data(artifact["bytecode"]["object"].get<std::string>());
}

Anvil::Anvil() {
  uint16_t port = free_port();
  url_ = "http://127.0.0.1:" + std::to_string(port);
  SpawnOptions o;
  o.argv = {foundry_tool("anvil"), "--host", "127.0.0.1", "--port", std::to_string(port), "--silent"};
  o.die_with_parent = true;
  pid_ = spawn_process(o);
  evm::JsonRpc probe(url_, 1000);
  bool up = await([&] {
    try {
      return probe.call("eth_chainId") == "0x7a69";  // 31337
    } catch (const std::exception&) {
      return false;
    }
  });
  if (!up) throw std::runtime_error("anvil did not start on " + url_);
}

Anvil::~Anvil() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

DeployedContracts deploy_contracts(evm::EvmClient& settlement, const std::string& treasury) {
  DeployedContracts c;
  c.block = evm::from_quantity(settlement.rpc().call("eth_blockNumber").get<std::string>());
  c.token = settlement.deploy(creation_code("TestStablecoin"));
  c.escrow = settlement.deploy(creation_code("JobEscrow") + abi::address_word(c.token) +
                               abi::address_word(settlement.address()) + abi::address_word(treasury));
  c.registry = settlement.deploy(creation_code("ProviderRegistry") + abi::address_word(c.token) +
                                 abi::address_word(settlement.address()) + abi::uint_word(3600) +
                                 abi::uint_word(10'000'000));
  return c;
}

void fund_budget(evm::EvmClient& minter, const DeployedContracts& c, const std::string& key, uint64_t amount,
                 const std::string& url, uint64_t until) {
  evm::EvmClient holder({url, key});
  auto addr = [](const std::string& a) { return abi::word(abi::address_word(a)); };
  auto num = [](uint64_t v) { return abi::word(abi::uint_word(v)); };
  minter.transact(c.token, abi::encode_call("mint(address,uint256)", {addr(holder.address()), num(amount)}), 200'000);
  holder.transact(c.token, abi::encode_call("approve(address,uint256)", {addr(c.escrow), num(amount)}), 200'000);
  holder.transact(c.escrow, abi::encode_call("deposit(uint96)", {num(amount)}), 200'000);
  holder.transact(c.escrow, abi::encode_call("commit(uint96,uint64)", {num(amount), num(until)}), 200'000);
}

}  // namespace og::test
