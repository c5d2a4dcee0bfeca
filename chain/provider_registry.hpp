// ProviderRegistry (contracts/src/ProviderRegistry.sol) from C++: what a provider bonds,
// what it is unbonding and when, and the settlement address's slash.
#pragma once

#include <cstdint>
#include <string>

#include "chain/evm_client.hpp"

namespace og::evm {

struct ProviderBond {
  uint64_t bonded = 0, unbonding = 0, unbond_at = 0;
};

class ProviderRegistryContract {
 public:
  ProviderRegistryContract(EvmClient& client, std::string address) : client_(client), address_(std::move(address)) {}

  ProviderBond bond_of(const std::string& provider);
  bool is_bonded(const std::string& provider);
  // By the provider's own client (its key): the token must already be approved.
  Receipt bond(uint64_t amount);
  Receipt request_unbond(uint64_t amount);
  // By the settlement address: takes up to `amount` and sends it to `to`.
  Receipt slash(const std::string& provider, uint64_t amount, const std::string& to);

 private:
  EvmClient& client_;
  std::string address_;
};

}  // namespace og::evm
