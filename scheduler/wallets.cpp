// Wallets (the interface in wallets.hpp): balances and escrow, the test faucet,
// withdrawals, provider bonds and their unbonding, and the link to a chain address when
// og-schedd settles on an EVM chain.
#include "scheduler/controller.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include "chain/embedded_ledger.hpp"
#include "core/error.hpp"
#include "core/money.hpp"
#include "core/log.hpp"
#include "core/job_signature.hpp"
#include "core/sha256.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "core/verify_mode.hpp"
#include "jobscripts/array_spec.hpp"
#include "scheduler/dependency_policy.hpp"
#include "scheduler/placement.hpp"
#include "scheduler/start_planner.hpp"
#include "verify/manifest.hpp"
#include "verify/quorum.hpp"

namespace og {

Ledger& Controller::ledger_or_throw() {
  if (!ledger_)
    throw ApiError(Refusal::Conflict, "payments_off", "this og-schedd runs without a ledger (payments are off)");
  return *ledger_;
}

std::string Controller::wallet_owner(const User& user, const std::string& name) const {
  std::string owner = name.empty() ? user.name : name;
  if (owner != user.name && user.role != "admin")
    throw ApiError(Refusal::Forbidden, "forbidden", "only an admin can see or fund another user's wallet");
  return owner;
}

MeshTerms Controller::terms() {
  MeshTerms t;
  t.payments = ledger_ != nullptr;
  t.on_chain = evm_ != nullptr;
  if (!t.payments) return t;
  t.bond_micros = options_.economics.min_bond_micros;
  t.faucet_micros = t.on_chain ? 0 : options_.faucet_limit_micros;
  t.fee_bps = options_.economics.fee_bps;
  return t;
}

WalletView Controller::wallet(const User& user, const std::string& name) {
  WalletView v;
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    v.name = wallet_owner(user, name);
    v.balance = ledger.balance(wallet_account(v.name));
    v.bond = ledger.balance(bond_account(v.name));
    v.unbonding = ledger.balance(unbonding_account(v.name));
    if (v.unbonding > 0) v.unbond_at_us = unbond_release_us(v.name);
    for (const auto& [id, job] : jobs_)
      if (job.user == v.name && !job.settled) v.escrow += ledger.balance(escrow_account(id));
  }
  if (evm_) {  // read from the chain outside the lock: a node can be slow
    ChainWalletView c;
    auto status = evm_->status();
    c.pending = static_cast<int64_t>(status.pending + status.in_flight);
    c.held = static_cast<int64_t>(status.held);
    c.last_error = status.last_error;
    if (auto address = evm_->address_of(v.name)) {
      c.address = evm::to_data(*address);
      try {
        c.budget = static_cast<int64_t>(evm_->escrow().account(*address).committed);
        c.credits = static_cast<int64_t>(evm_->escrow().credits(*address));
      } catch (const std::exception& e) {
        c.last_error = std::string("the chain did not answer: ") + e.what();
      }
    }
    v.chain = c;
  }
  return v;
}

std::string Controller::chain_link_message(const User& user, const std::string& address) {
  if (!evm_) throw ApiError(Refusal::Conflict, "no_chain", "this og-schedd does not settle on a chain (og-schedd --ledger evm)");
  try {
    std::string bytes = evm::from_data(address);
    if (bytes.size() != 20) throw std::invalid_argument("size");
    return evm_->link_message(user.name, bytes);
  } catch (const std::invalid_argument&) {
    throw ApiError(Refusal::Invalid, "invalid_address", "\"" + address + "\" is not a 0x-prefixed 20-byte address");
  }
}

WalletView Controller::link_chain_address(const User& user, const std::string& address, const std::string& signature) {
  chain_link_message(user, address);  // checks the chain and the address
  try {
    auto sig = evm::from_data(signature);
    evm_->link(user.name, evm::from_data(address), sig);
  } catch (const std::invalid_argument& e) {
    throw ApiError(Refusal::Invalid, "invalid_link", std::string(e.what()) + " (og-wallet link signs it with your chain key)");
  }
  return wallet(user, "");
}

WalletView Controller::deposit(const User& user, const std::string& name, int64_t amount,
                               const std::string& request_id) {
  if (amount <= 0) throw ApiError(Refusal::Invalid, "invalid_amount", "a deposit must be a positive amount");
  if (evm_)
    throw ApiError(Refusal::Conflict, "deposits_on_chain",
                   "this og-schedd settles on chain: fund your wallet by committing a budget to JobEscrow with your "
                   "own key (og-wallet link, then og-chain commit AMOUNT)");
  std::string owner;
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    owner = wallet_owner(user, name);
    std::string prefix = "deposit:" + owner + ":";
    std::string key = prefix + (request_id.empty() ? random_token_hex().substr(0, 16) : request_id);
    // The faucet is test money: only where the operator turned it on, and only so much per
    // wallet. An admin's deposit is the operator's own act.
    if (user.role != "admin" && !ledger.find(key)) {
      if (options_.faucet_limit_micros == 0)
        throw ApiError(Refusal::Forbidden, "faucet_disabled",
                       "this og-schedd has no faucet: ask its operator to fund your wallet (an admin's og-wallet "
                       "deposit AMOUNT --user NAME), or to start og-schedd with --faucet LIMIT for test money");
      int64_t given = ledger.total_under_key_prefix(prefix);
      if (amount > options_.faucet_limit_micros - given)
        throw ApiError(Refusal::Forbidden, "faucet_limit",
                       "the faucet gives each wallet at most " + format_money(options_.faucet_limit_micros) + " in all; " +
                           owner + " has had " + format_money(given) + ", so at most " +
                           format_money(std::max<int64_t>(options_.faucet_limit_micros - given, 0)) + " more");
    }
    try {
      ledger.apply(Transfer{key, kExternalAccount, wallet_account(owner), amount, "faucet deposit by " + user.name});
    } catch (const AmountTooLarge& e) {
      throw ApiError(Refusal::Invalid, "amount_too_large", e.what());
    }
  }
  return wallet(user, owner);
}

WalletView Controller::withdraw(const User& user, int64_t amount, const std::string& request_id) {
  if (amount <= 0) throw ApiError(Refusal::Invalid, "invalid_amount", "a withdrawal must be a positive amount");
  if (evm_)
    throw ApiError(Refusal::Conflict, "withdrawals_on_chain",
                   "this og-schedd settles on chain: earnings wait in JobEscrow (og-chain withdraw-credits), an unspent "
                   "budget comes back after its date (JobEscrow.reclaim)");
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    std::string key = "withdraw:" + user.name + ":" + (request_id.empty() ? random_token_hex().substr(0, 16) : request_id);
    try {
      ledger.apply(Transfer{key, wallet_account(user.name), kExternalAccount, amount, "withdrawal"});
    } catch (const InsufficientFunds& e) {
      throw ApiError(Refusal::Unpaid, "insufficient_funds", "your wallet holds " + format_money(e.balance()) +
                                                    ", less than the " + format_money(amount) + " asked for");
    }
  }
  return wallet(user, "");
}

int64_t Controller::unbond_release_us(const std::string& name) {
  // The newest transfer into the unbonding account starts the delay.
  for (const auto& e : ledger_->history(unbonding_account(name), 20))
    if (e.transfer.to == unbonding_account(name)) return e.at_us + options_.economics.unbond_delay_s * 1'000'000;
  return 0;
}

WalletView Controller::unbond(const User& user) {
  {
    std::lock_guard lock(mu_);
    Ledger& ledger = ledger_or_throw();
    int64_t bond = ledger.balance(bond_account(user.name));
    if (bond <= 0) throw ApiError(Refusal::Conflict, "no_bond", user.name + " has no bond posted");
    for (const auto& [name, p] : partitions_)
      if (p.owner == user.name && !active_on_[name].empty())
        throw ApiError(Refusal::Conflict, "partition_busy", "partition " + name + " still runs work: og-scontrol drain " + name +
                                                  ", wait for it to finish, then unbond");
    for (auto& [name, p] : partitions_) {
      if (p.owner != user.name) continue;
      p.drain_requested = true;  // no bond, no new work
      if (p.state == PartitionState::Up) p.state = PartitionState::Drain;
      store_.upsert_partition(p);
    }
    ledger.apply(Transfer{"unbond:" + user.name + ":" + random_token_hex().substr(0, 16), bond_account(user.name),
                          unbonding_account(user.name), bond, "bond withdrawn"});
    unbonding_.insert(user.name);
    log_info("unbonding", {{"provider", user.name}, {"amount", format_money(bond)}});
    request_pass();  // the loop learns when to release it
  }
  return wallet(user, "");
}

int64_t Controller::release_unbonded(int64_t now_us) {
  int64_t next_due = 0;
  for (auto it = unbonding_.begin(); it != unbonding_.end();) {
    int64_t held = ledger_->balance(unbonding_account(*it));
    int64_t due = held > 0 ? unbond_release_us(*it) : 0;
    if (held <= 0) {
      it = unbonding_.erase(it);
    } else if (due <= now_us) {
      ledger_->apply(Transfer{"unbonded:" + *it + ":" + std::to_string(due), unbonding_account(*it),
                              wallet_account(*it), held, "bond released"});
      it = unbonding_.erase(it);
    } else {
      next_due = next_due == 0 ? due : std::min(next_due, due);
      ++it;
    }
  }
  return next_due;
}

std::vector<LedgerEntry> Controller::wallet_history(const User& user, const std::string& name, size_t limit) {
  std::lock_guard lock(mu_);
  Ledger& ledger = ledger_or_throw();
  return ledger.history(wallet_account(wallet_owner(user, name)), limit);
}

Earnings Controller::earnings(const User& user, const std::string& name, int days) {
  constexpr size_t kMostEntries = 20'000;  // per account: a busy provider's months
  std::lock_guard lock(mu_);
  Ledger& ledger = ledger_or_throw();
  std::string owner = wallet_owner(user, name);
  return summarize_earnings(ledger.history(wallet_account(owner), kMostEntries),
                            ledger.history(bond_account(owner), kMostEntries), owner, now_unix_us(), days);
}

}  // namespace og
