// A real local chain for tests: anvil on a free loopback port (stopped by PID when the
// object goes), the contracts compiled once per test process by forge, and anvil's
// well-known test accounts (test money only, never real keys).
#pragma once

#include <sys/types.h>

#include <string>

#include "chain/evm_client.hpp"

namespace og::test {

// anvil's accounts 0..5 (the mnemonic "test test … junk"): 32-byte keys.
std::string anvil_key(int account);

// contracts/node_modules/@foundry-rs/NAME-linux-amd64/bin/NAME
std::string foundry_tool(const std::string& name);
bool foundry_installed();

// Creation code of a contract from forge's build output (compiled on first use).
std::string creation_code(const std::string& contract);
// forge's build output directory (contracts compiled on first use).
const std::string& contracts_build_dir();

class Anvil {
 public:
  Anvil();  // throws std::runtime_error when it does not answer
  ~Anvil();
  Anvil(const Anvil&) = delete;
  Anvil& operator=(const Anvil&) = delete;
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  pid_t pid_ = 0;
};

struct DeployedContracts {
  std::string token, escrow, registry;  // 20-byte addresses
  uint64_t block = 0;                   // the block before the first deployment
};

// TestStablecoin, JobEscrow (settlement = the client's address) and ProviderRegistry.
DeployedContracts deploy_contracts(evm::EvmClient& settlement, const std::string& treasury);

// As the holder of `key`: mint `amount` tokens (by `minter`), deposit and commit them
// until `until` (unix seconds).
void fund_budget(evm::EvmClient& minter, const DeployedContracts& c, const std::string& key, uint64_t amount,
                 const std::string& url, uint64_t until = 4'000'000'000);

}  // namespace og::test
