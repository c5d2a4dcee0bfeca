#include "chain/payment_keys.hpp"

#include <charconv>

namespace og {
namespace {

// Takes a decimal number and the ':' after it (unless it ends the key) off the front.
template <typename T>
bool take_number(std::string_view& rest, T& out, bool last = false) {
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
  if (ec != std::errc() || end == rest.data()) return false;
  rest.remove_prefix(static_cast<size_t>(end - rest.data()));
  if (last) return rest.empty();
  if (rest.empty() || rest.front() != ':') return false;
  rest.remove_prefix(1);
  return true;
}

bool take(std::string_view& rest, std::string_view word) {
  if (rest.substr(0, word.size()) != word) return false;
  rest.remove_prefix(word.size());
  return true;
}

}  // namespace

std::string settlement_key_prefix(uint64_t job_id) { return "settle:job:" + std::to_string(job_id) + ":"; }

std::string milestone_key_prefix(uint64_t job_id, uint32_t milestone) {
  return "milestone:job:" + std::to_string(job_id) + ":" + std::to_string(milestone) + ":";
}

std::string pay_key(const std::string& prefix, uint64_t replica_id) { return prefix + "pay:" + std::to_string(replica_id); }
std::string fee_key(const std::string& prefix, uint64_t replica_id) { return prefix + "fee:" + std::to_string(replica_id); }

std::optional<PaymentKey> parse_payment_key(std::string_view key) {
  PaymentKey out;
  if (take(key, "settle:job:")) {
    if (!take_number(key, out.job_id)) return std::nullopt;
  } else if (take(key, "milestone:job:")) {
    uint32_t m = 0;
    if (!take_number(key, out.job_id) || !take_number(key, m)) return std::nullopt;
    out.milestone = m;
  } else {
    return std::nullopt;
  }
  if (take(key, "fee:")) out.fee = true;
  else if (!take(key, "pay:")) return std::nullopt;
  if (!take_number(key, out.replica_id, true)) return std::nullopt;
  return out;
}

}  // namespace og
