// Where og-schedd and the tools find a chain: the settlement (or user) key, read from a
// file or $OG_CHAIN_KEY and never from the command line, and the contracts' addresses, as
// `og-chain deploy --out FILE` wrote them.
#pragma once

#include <cstdint>
#include <string>

namespace og::evm {

// 32 bytes from a file holding hex (mode 0600), or else from $OG_CHAIN_KEY; throws
// og::UsageError saying how to give one.
std::string read_chain_key(const std::string& file);

struct Deployment {
  uint64_t chain_id = 0;
  std::string token, registry, escrow, treasury;  // 20-byte addresses
  uint64_t block = 0;  // where to start reading the contracts' events
};

// Throws og::UsageError naming the file and what is wrong with it.
Deployment read_deployment(const std::string& path);

}  // namespace og::evm
