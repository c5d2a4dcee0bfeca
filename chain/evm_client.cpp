#include "chain/evm_client.hpp"

#include <thread>

#include "chain/evm_tx.hpp"

namespace og::evm {

EvmClient::EvmClient(EvmClientOptions options)
    : options_(std::move(options)), rpc_(options_.url), address_(address_of(options_.private_key)) {
  chain_id_ = from_quantity(rpc_.call("eth_chainId").get<std::string>());
  next_nonce_ = from_quantity(rpc_.call("eth_getTransactionCount", {to_data(address_), "pending"}).get<std::string>());
}

std::string EvmClient::send(const std::string& to, const std::string& data, uint64_t gas_limit) {
  if (gas_limit == 0) {  // the node's estimate, with a fifth more for state changed meanwhile
    nlohmann::json call = {{"from", to_data(address_)}, {"data", to_data(data)}};
    if (!to.empty()) call["to"] = to_data(to);
    gas_limit = from_quantity(rpc_.call("eth_estimateGas", nlohmann::json::array({call})).get<std::string>()) * 6 / 5;
  }
  std::lock_guard lock(mu_);
  auto block = rpc_.call("eth_getBlockByNumber", {"latest", false});
  uint64_t base_fee = block.contains("baseFeePerGas") ? from_quantity(block["baseFeePerGas"].get<std::string>()) : 0;
  for (int attempt = 0;; ++attempt) {
    Eip1559Tx tx;
    tx.chain_id = chain_id_;
    tx.nonce = next_nonce_;
    tx.max_priority_fee_per_gas = options_.priority_fee_wei;
    tx.max_fee_per_gas = 2 * base_fee + options_.priority_fee_wei;  // room for the base fee to rise
    tx.gas_limit = gas_limit;
    tx.to = to;
    tx.data = data;
    std::string raw = sign_eip1559(tx, options_.private_key);
    try {
      rpc_.call("eth_sendRawTransaction", {to_data(raw)});
      ++next_nonce_;
      return transaction_hash(raw);
    } catch (const RpcError& e) {
      // Someone else used this key, or a send was lost: take the node's count, once.
      std::string what = e.what();
      if (attempt > 0 || what.find("nonce") == std::string::npos) throw;
      next_nonce_ = from_quantity(rpc_.call("eth_getTransactionCount", {to_data(address_), "pending"}).get<std::string>());
    }
  }
}

Receipt EvmClient::wait(const std::string& tx_hash) {
  auto deadline = std::chrono::steady_clock::now() + options_.receipt_timeout;
  for (;;) {
    auto r = rpc_.call("eth_getTransactionReceipt", {to_data(tx_hash)});
    if (!r.is_null()) {
      Receipt receipt;
      receipt.tx_hash = tx_hash;
      receipt.block = from_quantity(r["blockNumber"].get<std::string>());
      uint64_t head = from_quantity(rpc_.call("eth_blockNumber").get<std::string>());
      if (head + 1 >= receipt.block + options_.confirmations) {
        receipt.gas_used = from_quantity(r["gasUsed"].get<std::string>());
        receipt.success = r.value("status", std::string("0x0")) == "0x1";
        if (r.contains("contractAddress") && r["contractAddress"].is_string())
          receipt.contract_address = from_data(r["contractAddress"].get<std::string>());
        receipt.logs = r.value("logs", nlohmann::json::array());
        return receipt;
      }
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("transaction " + to_data(tx_hash) + " not mined with " +
                               std::to_string(options_.confirmations) + " confirmations in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a chain has no push for receipts
  }
}

Receipt EvmClient::transact(const std::string& to, const std::string& data, uint64_t gas_limit) {
  Receipt r = wait(send(to, data, gas_limit));
  if (!r.success) throw std::runtime_error("transaction " + to_data(r.tx_hash) + " reverted");
  return r;
}

std::string EvmClient::deploy(const std::string& creation_code, uint64_t gas_limit) {
  Receipt r = transact("", creation_code, gas_limit);
  if (r.contract_address.size() != 20) throw std::runtime_error("deployment returned no contract address");
  return r.contract_address;
}

std::string EvmClient::call(const std::string& to, const std::string& data) {
  return from_data(rpc_.call("eth_call", {{{"to", to_data(to)}, {"data", to_data(data)}}, "latest"}).get<std::string>());
}

}  // namespace og::evm
