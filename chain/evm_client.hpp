// One account on an EVM chain: sends EIP-1559 transactions it signs itself (nonces kept
// locally, re-read from the node when it disagrees), waits for receipts with a number of
// confirmations, deploys contracts and makes read-only calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "chain/json_rpc.hpp"

namespace og::evm {

struct Receipt {
  std::string tx_hash;  // bytes
  uint64_t block = 0;
  uint64_t gas_used = 0;
  bool success = false;
  std::string contract_address;  // bytes, for a deployment
  nlohmann::json logs;
};

struct EvmClientOptions {
  std::string url;                 // the node's JSON-RPC endpoint
  std::string private_key;         // 32 bytes (read from a file or the environment, never argv)
  uint64_t confirmations = 1;      // blocks on top of (and including) the transaction's
  std::chrono::milliseconds receipt_timeout{60000};
  uint64_t priority_fee_wei = 1'000'000'000;  // 1 gwei tip
};

class EvmClient {
 public:
  explicit EvmClient(EvmClientOptions options);

  const std::string& address() const { return address_; }  // 20 bytes
  uint64_t chain_id() const { return chain_id_; }

  // Signs and sends; returns the transaction hash (bytes). Thread-safe. gas_limit 0: the
  // node's estimate plus a fifth (an estimate that fails throws RpcError with the revert).
  std::string send(const std::string& to, const std::string& data, uint64_t gas_limit);
  // Waits until the transaction is mined with the configured confirmations; throws
  // std::runtime_error on timeout. A reverted transaction returns success = false.
  Receipt wait(const std::string& tx_hash);
  // send + wait, throwing std::runtime_error when it reverted.
  Receipt transact(const std::string& to, const std::string& data, uint64_t gas_limit);
  // Deploys creation code (with its constructor arguments appended); the new address.
  std::string deploy(const std::string& creation_code, uint64_t gas_limit = 5'000'000);
  // eth_call at the latest block: the returned bytes.
  std::string call(const std::string& to, const std::string& data);

  JsonRpc& rpc() { return rpc_; }

 private:
  EvmClientOptions options_;
  JsonRpc rpc_;
  std::string address_;
  uint64_t chain_id_ = 0;
  std::mutex mu_;
  uint64_t next_nonce_ = 0;
};

}  // namespace og::evm
