#include "chain/provider_registry.hpp"

#include "chain/abi.hpp"

namespace og::evm {

ProviderBond ProviderRegistryContract::bond_of(const std::string& provider) {
  std::string data = client_.call(address_, abi::encode_call("providers(address)", {abi::word(abi::address_word(provider))}));
  return {abi::read_uint(data, 0), abi::read_uint(data, 1), abi::read_uint(data, 2)};
}

bool ProviderRegistryContract::is_bonded(const std::string& provider) {
  return abi::read_uint(client_.call(address_, abi::encode_call("isBonded(address)", {abi::word(abi::address_word(provider))})), 0) != 0;
}

Receipt ProviderRegistryContract::bond(uint64_t amount) {
  return client_.transact(address_, abi::encode_call("bond(uint96)", {abi::word(abi::uint_word(amount))}), 0);
}

Receipt ProviderRegistryContract::request_unbond(uint64_t amount) {
  return client_.transact(address_, abi::encode_call("requestUnbond(uint96)", {abi::word(abi::uint_word(amount))}), 0);
}

Receipt ProviderRegistryContract::slash(const std::string& provider, uint64_t amount, const std::string& to) {
  return client_.transact(address_,
                          abi::encode_call("slash(address,uint96,address)", {abi::word(abi::address_word(provider)),
                                                                             abi::word(abi::uint_word(amount)),
                                                                             abi::word(abi::address_word(to))}),
                          0);
}

}  // namespace og::evm
