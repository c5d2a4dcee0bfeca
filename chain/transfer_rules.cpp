#include "chain/transfer_rules.hpp"

#include <climits>
#include <stdexcept>

#include "core/money.hpp"

namespace og {

void check_transfer(const Transfer& t, const std::function<int64_t(const std::string&)>& balance) {
  if (t.amount <= 0 || t.key.empty() || t.from == t.to)
    throw std::invalid_argument("a transfer needs a key, two accounts and a positive amount (" + t.key + ")");
  if (t.amount > kMaxAmountMicros)
    throw AmountTooLarge("a transfer of " + format_money(t.amount) + " passes the ceiling of " +
                         format_money(kMaxAmountMicros) + " (" + t.key + ")");
  if (t.from != kExternalAccount) {
    int64_t have = balance(t.from);
    if (have < t.amount) throw InsufficientFunds(t.from, have, t.amount);
  } else if (balance(t.from) < INT64_MIN + kMaxAmountMicros) {
    throw AmountTooLarge("the external account's balance would overflow (" + t.key + ")");
  }
  if (t.to != kExternalAccount && balance(t.to) > kMaxAmountMicros - t.amount)
    throw AmountTooLarge("account " + t.to + " would hold more than the ceiling of " + format_money(kMaxAmountMicros) +
                         " (" + t.key + ")");
}

}  // namespace og
