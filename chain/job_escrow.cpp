#include "chain/job_escrow.hpp"

#include <algorithm>
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
    if (job.job_id & kBatchIdFlag) throw std::invalid_argument("a batch job id is below 2^63");
    std::string header(32, '\0');
    put_bits(header, 0, job.job_id | kBatchIdFlag);
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

std::string explain_revert(const std::string& message) {
  static const char* errors[] = {"NotSettlement()", "ZeroAmount()", "InsufficientFunds()", "JobIdUsed(uint64)",
                                 "NoSuchLock(uint64)", "LockExceeded(uint64)", "NotYet(uint256)",
                                 "BudgetExpired(address)", "BadBatch()", "BadJobId(uint64)", "TransferFailed()"};
  for (const char* error : errors) {
    std::string selector = "0x" + keccak256_hex(error).substr(0, 8);
    if (message.find(selector) != std::string::npos) {
      std::string name = error;
      return message + " [" + name.substr(0, name.find('(')) + "]";
    }
  }
  return message;
}

Receipt JobEscrowContract::settle_batch(const std::vector<BatchJob>& jobs, uint64_t gas_limit) {
  return client_.transact(address_, encode_settle_batch(jobs), gas_limit);
}

namespace {

// eth_getLogs for one event of the contract, in ranges a public node accepts.
nlohmann::json event_logs(EvmClient& client, const std::string& address, const std::string& event, uint64_t from,
                          uint64_t to, const nlohmann::json& more_topics = nlohmann::json::array()) {
  constexpr uint64_t kRange = 5'000;
  if (to == 0) to = std::stoull(client.rpc().call("eth_blockNumber").get<std::string>(), nullptr, 16);
  nlohmann::json topics = nlohmann::json::array({"0x" + keccak256_hex(event)});
  for (const auto& t : more_topics) topics.push_back(t);
  nlohmann::json out = nlohmann::json::array();
  for (uint64_t lo = from; lo <= to; lo += kRange) {
    nlohmann::json filter = {{"address", to_data(address)}, {"fromBlock", to_quantity(lo)},
                             {"toBlock", to_quantity(std::min(to, lo + kRange - 1))}, {"topics", topics}};
    for (auto& log : client.rpc().call("eth_getLogs", nlohmann::json::array({filter}))) out.push_back(std::move(log));
  }
  return out;
}

uint64_t quantity(const nlohmann::json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

}  // namespace

std::vector<uint64_t> JobEscrowContract::settled_since(uint64_t from_block, uint64_t to_block) {
  std::vector<uint64_t> ids;
  for (const auto& log : event_logs(client_, address_, "JobSettled(uint64,address,uint256)", from_block, to_block)) {
    uint64_t id = abi::read_uint(from_data(log["topics"][1].get<std::string>()), 0);
    if (id & kBatchIdFlag) ids.push_back(id & ~kBatchIdFlag);
  }
  return ids;
}

std::vector<BudgetEvent> JobEscrowContract::budget_events(uint64_t from_block, uint64_t to_block, const std::string& requester) {
  nlohmann::json who = nlohmann::json::array();
  if (!requester.empty()) who.push_back(to_data(abi::address_word(requester)));
  std::vector<BudgetEvent> out;
  for (bool committed : {true, false}) {
    auto logs = event_logs(client_, address_, committed ? "Committed(address,uint96,uint64)" : "Reclaimed(address,uint96)",
                           from_block, to_block, who);
    for (const auto& log : logs) {
      BudgetEvent e;
      e.requester = from_data(log["topics"][1].get<std::string>()).substr(12);
      e.amount = abi::read_uint(from_data(log["data"].get<std::string>()), 0);
      e.committed = committed;
      e.block = quantity(log["blockNumber"]);
      e.key = log["transactionHash"].get<std::string>() + ":" + std::to_string(quantity(log["logIndex"]));
      out.push_back(std::move(e));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const BudgetEvent& a, const BudgetEvent& b) { return a.block < b.block; });
  return out;
}

uint64_t JobEscrowContract::credits(const std::string& account) {
  return abi::read_uint(client_.call(address_, abi::encode_call("credits(address)", {abi::word(abi::address_word(account))})), 0);
}

EscrowAccount JobEscrowContract::account(const std::string& requester) {
  std::string data = client_.call(address_, abi::encode_call("accounts(address)", {abi::word(abi::address_word(requester))}));
  return {abi::read_uint(data, 0), abi::read_uint(data, 1), abi::read_uint(data, 2)};
}

bool JobEscrowContract::is_used(uint64_t job_id) {
  return abi::read_uint(client_.call(address_, abi::encode_call("isUsed(uint64)", {abi::word(abi::uint_word(job_id | kBatchIdFlag))})), 0) != 0;
}

}  // namespace og::evm
