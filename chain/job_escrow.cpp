#include "chain/job_escrow.hpp"

#include <map>
#include <stdexcept>

#include "chain/abi.hpp"
#include "chain/keccak.hpp"
#include "core/hex.hpp"

namespace og::evm {
namespace {

// A 32-byte word holding `value` at bit offset `shift` (big-endian bytes).
void put_bits(std::string& word, unsigned shift, uint64_t value) {
  for (unsigned bit = 0; value > 0; bit += 8, value >>= 8) {
    size_t byte = 31 - (shift + bit) / 8;
    word[byte] = static_cast<char>(static_cast<uint8_t>(word[byte]) | (value & 0xff));
  }
}

size_t index_of(std::map<std::string, size_t>& table, std::vector<std::string>& order, const std::string& address) {
  if (address.size() != 20) throw std::invalid_argument("an address is 20 bytes");
  auto [it, fresh] = table.emplace(address, order.size());
  if (fresh) order.push_back(address);
  if (order.size() > 0xffff) throw std::invalid_argument("a batch names at most 65,535 requesters or payees");
  return it->second;
}

}  // namespace

std::string encode_settle_batch(const std::vector<BatchJob>& jobs) {
  std::map<std::string, size_t> requester_index, payee_index;
  std::vector<std::string> requesters, payees, words;
  for (const auto& job : jobs) {
    if (job.payments.size() > 0xff) throw std::invalid_argument("a job pays at most 255 payments in a batch");
    std::string header(32, '\0');
    put_bits(header, 0, job.job_id);
    put_bits(header, 64, index_of(requester_index, requesters, job.requester));
    put_bits(header, 80, job.payments.size());
    words.push_back(header);
    for (const auto& p : job.payments) {
      std::string payment(32, '\0');
      put_bits(payment, 0, index_of(payee_index, payees, p.payee));
      put_bits(payment, 16, p.gross);
      words.push_back(payment);
    }
  }
  std::vector<std::string> requester_words, payee_words;
  for (const auto& r : requesters) requester_words.push_back(abi::address_word(r));
  for (const auto& p : payees) payee_words.push_back(abi::address_word(p));
  return abi::encode_call("settleBatch(address[],address[],uint256[])",
                          {abi::words(requester_words), abi::words(payee_words), abi::words(words)});
}

Receipt JobEscrowContract::settle_batch(const std::vector<BatchJob>& jobs, uint64_t gas_limit) {
  return client_.transact(address_, encode_settle_batch(jobs), gas_limit);
}

std::vector<uint64_t> JobEscrowContract::settled_since(uint64_t from_block) {
  static const std::string topic = "0x" + keccak256_hex("JobSettled(uint64,address,uint256)");
  nlohmann::json filter = {{"address", to_data(address_)}, {"fromBlock", to_quantity(from_block)},
                            {"toBlock", "latest"}, {"topics", nlohmann::json::array({topic})}};
  auto logs = client_.rpc().call("eth_getLogs", nlohmann::json::array({filter}));
  std::vector<uint64_t> ids;
  for (const auto& log : logs) ids.push_back(abi::read_uint(from_data(log["topics"][1].get<std::string>()), 0));
  return ids;
}

uint64_t JobEscrowContract::credits(const std::string& account) {
  return abi::read_uint(client_.call(address_, abi::encode_call("credits(address)", {abi::word(abi::address_word(account))})), 0);
}

EscrowAccount JobEscrowContract::account(const std::string& requester) {
  std::string data = client_.call(address_, abi::encode_call("accounts(address)", {abi::word(abi::address_word(requester))}));
  return {abi::read_uint(data, 0), abi::read_uint(data, 1), abi::read_uint(data, 2)};
}

bool JobEscrowContract::is_used(uint64_t job_id) {
  return abi::read_uint(client_.call(address_, abi::encode_call("isUsed(uint64)", {abi::word(abi::uint_word(job_id))})), 0) != 0;
}

}  // namespace og::evm
