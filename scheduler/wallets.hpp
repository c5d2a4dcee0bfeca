// Wallets (payments on: og-schedd --ledger): balances and escrow, the test faucet,
// withdrawals, provider bonds and their unbonding, and the link to a chain address when
// og-schedd settles on an EVM chain. In the embedded ledger a deposit is a faucet: users
// fund themselves, admins anyone. A request_id makes a retry safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/ledger.hpp"
#include "scheduler/earnings.hpp"
#include "scheduler/model.hpp"

namespace og {

// A wallet as the chain sees it (EVM ledger only).
struct ChainWalletView {
  std::string address;            // 0x…, the linked address ("" when none is linked)
  int64_t budget = 0;             // committed to JobEscrow, not yet spent
  int64_t credits = 0;            // earned, waiting in JobEscrow to be withdrawn
  int64_t pending = 0, held = 0;  // og-schedd's payments not yet on chain (all users)
  std::string last_error;
};

struct WalletView {
  std::string name;
  std::optional<ChainWalletView> chain;
  int64_t balance = 0;    // free to spend
  int64_t escrow = 0;     // locked by its unfinished jobs
  int64_t bond = 0;       // posted as a provider
  int64_t unbonding = 0;  // withdrawn from the bond, released at unbond_at_us
  int64_t unbond_at_us = 0;
};

// What the mesh asks of a provider and offers it (og-worker join reads it before joining).
struct MeshTerms {
  bool payments = false;      // a ledger settles jobs (else no bond, no prices paid)
  bool on_chain = false;      // it settles on an EVM chain: wallets are funded there
  int64_t bond_micros = 0;    // posted for each partition offered
  int64_t faucet_micros = 0;  // test money a wallet may draw in all (0: no faucet)
  int64_t fee_bps = 0;        // the protocol's share of each payment
};

class Wallets {
 public:
  virtual ~Wallets() = default;
  virtual WalletView wallet(const User& user, const std::string& name) = 0;
  virtual MeshTerms terms() = 0;
  // A provider's earnings over the last `days` UTC days (its own; an admin's of anyone).
  virtual Earnings earnings(const User& user, const std::string& name, int days) = 0;
  virtual WalletView deposit(const User& user, const std::string& name, int64_t amount,
                             const std::string& request_id) = 0;
  virtual WalletView withdraw(const User& user, int64_t amount, const std::string& request_id) = 0;
  virtual std::vector<LedgerEntry> wallet_history(const User& user, const std::string& name, size_t limit) = 0;
  // A provider takes its bond back: its partitions are drained now (none may be running
  // work), and the bond comes back to its wallet after the unbond delay, during which a
  // result proven wrong can still be slashed from it.
  virtual WalletView unbond(const User& user) = 0;
  // EVM ledger: the message a user signs to link their name to a chain address, and the link.
  virtual std::string chain_link_message(const User& user, const std::string& address) = 0;
  virtual WalletView link_chain_address(const User& user, const std::string& address,
                                        const std::string& signature) = 0;
};

}  // namespace og
