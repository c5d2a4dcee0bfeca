// What makes a transfer acceptable to a book, whatever keeps it: checked by the embedded
// ledger when it records one, and by the group-commit ledger when it queues one (so that
// a queued transfer cannot be refused when its group is written).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "chain/ledger.hpp"

namespace og {

// Throws std::invalid_argument (no key, one account, an amount ≤ 0), AmountTooLarge (past
// the ceiling, for the transfer or for the account it credits) or InsufficientFunds (the
// account it debits would go below zero; the external account never does).
void check_transfer(const Transfer& t, const std::function<int64_t(const std::string&)>& balance);

}  // namespace og
