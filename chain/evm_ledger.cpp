#include "chain/evm_ledger.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <tuple>
#include <climits>

#include "chain/evm_tx.hpp"
#include "chain/payment_keys.hpp"
#include "core/log.hpp"
#include "core/time_util.hpp"

namespace og {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS chain_links (name TEXT PRIMARY KEY, address TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS chain_requesters (job_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chain_payments (
  chain_id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
  batch INTEGER, solo INTEGER NOT NULL DEFAULT 0, retry_at_us INTEGER NOT NULL DEFAULT 0,
  created_us INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS chain_payments_state ON chain_payments(state, chain_id);
CREATE TABLE IF NOT EXISTS chain_payment_parts (
  chain_id INTEGER NOT NULL, replica INTEGER NOT NULL, payee TEXT NOT NULL DEFAULT '', gross INTEGER NOT NULL,
  PRIMARY KEY (chain_id, replica));
CREATE TABLE IF NOT EXISTS chain_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT, from_block INTEGER NOT NULL, tx_hash TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL, jobs INTEGER NOT NULL, gas_used INTEGER NOT NULL DEFAULT 0, at_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chain_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
)sql";

// (job, milestone) → the id the chain pays it under: the part (0 for the final settlement,
// milestone + 1) above the job id, so every payment of a job has an id of its own and the
// final settlements of consecutive jobs are consecutive ids — which share the contract's
// used-id bitmap words (256 ids each) instead of costing a fresh storage slot per job.
constexpr unsigned kJobBits = 47;

std::optional<int64_t> chain_id_of(const PaymentKey& key) {
  uint64_t part = key.milestone ? uint64_t(*key.milestone) + 1 : 0;
  if (key.job_id >= (uint64_t(1) << kJobBits) || part >= (uint64_t(1) << (63 - kJobBits))) return std::nullopt;
  return static_cast<int64_t>((part << kJobBits) | key.job_id);
}

std::optional<std::string> wallet_name(std::string_view account) {
  constexpr std::string_view prefix = "wallet:";
  if (account.substr(0, prefix.size()) != prefix) return std::nullopt;
  return std::string(account.substr(prefix.size()));
}

std::string address_text(const std::string& address) { return evm::to_data(address); }

// The newest block with the confirmations asked for.
uint64_t confirmed_head(evm::EvmClient& client, uint64_t confirmations) {
  uint64_t head = evm::from_quantity(client.rpc().call("eth_blockNumber").get<std::string>());
  return confirmations > 1 ? head - std::min(head, confirmations - 1) : head;
}

}  // namespace

struct EvmLedger::Claimed {
  int64_t id = 0;
  uint64_t from_block = 0;
  std::vector<evm::BatchJob> jobs;
  std::vector<int64_t> chain_ids;
};

EvmLedger::EvmLedger(const std::string& path, EvmLedgerOptions options, bool synchronous_full)
    : EmbeddedLedger(path, synchronous_full),
      options_(std::move(options)),
      client_(options_.client),
      escrow_(client_, options_.escrow) {
  db().exec(kSchema);
  // A book settles on one chain and one escrow for good: another deployment (a fresh local
  // chain, say) would know nothing of what this one paid.
  std::string here = std::to_string(client_.chain_id()) + ":" + address_text(options_.escrow);
  auto get = db().prepare("SELECT value FROM chain_meta WHERE key = 'settles_on'");
  if (get->step()) {
    if (get->column_text(0) != here)
      throw std::runtime_error("the ledger " + path + " settles on " + get->column_text(0) + " (chain:escrow), not " +
                               here + ": give og-schedd that deployment, or a fresh state directory");
  } else {
    auto put = db().prepare("INSERT INTO chain_meta (key, value) VALUES ('settles_on', ?1)");
    put->bind(1, here).run();
  }
}

bool EvmLedger::settles_on_chain(const std::string& path) {
  Database db(path);
  auto s = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain_meta'");
  return s->step();
}

EvmLedger::~EvmLedger() { stop(); }

size_t EvmLedger::apply(const std::vector<Transfer>& transfers) {
  size_t n;
  {
    std::lock_guard lock(mu_);
    n = EmbeddedLedger::apply(transfers);
  }
  if (n > 0) wake_.notify_one();
  return n;
}

int64_t EvmLedger::balance(const std::string& account) {
  std::lock_guard lock(mu_);
  return EmbeddedLedger::balance(account);
}

std::optional<LedgerEntry> EvmLedger::find(const std::string& key) {
  std::lock_guard lock(mu_);
  return EmbeddedLedger::find(key);
}

std::vector<LedgerEntry> EvmLedger::history(const std::string& account, size_t limit) {
  std::lock_guard lock(mu_);
  return EmbeddedLedger::history(account, limit);
}

std::vector<std::pair<std::string, int64_t>> EvmLedger::balances() {
  std::lock_guard lock(mu_);
  return EmbeddedLedger::balances();
}

std::vector<Transfer> EvmLedger::on_applied(const std::vector<Transfer>& applied) {
  std::vector<Transfer> paid_out;
  auto requester = db().prepare("INSERT OR IGNORE INTO chain_requesters (job_id, name) VALUES (?1, ?2)");
  auto payment = db().prepare(
      "INSERT INTO chain_payments (chain_id, job_id, created_us) VALUES (?1, ?2, ?3) ON CONFLICT(chain_id) DO NOTHING");
  auto part = db().prepare(
      "INSERT INTO chain_payment_parts (chain_id, replica, payee, gross) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(chain_id, replica) DO UPDATE SET gross = gross + excluded.gross, "
      "payee = CASE WHEN excluded.payee != '' THEN excluded.payee ELSE payee END");
  auto state = db().prepare("SELECT state FROM chain_payments WHERE chain_id = ?1");
  int64_t now = now_unix_us();
  for (const auto& t : applied) {
    auto job = escrow_job(t.to);
    auto from = wallet_name(t.from);
    if (job && from) {  // a lock: whose budget pays the job on chain
      requester->reset();
      requester->bind(1, static_cast<int64_t>(*job)).bind(2, *from).run();
      continue;
    }
    auto key = parse_payment_key(t.key);
    if (!key || escrow_job(t.from) != key->job_id) continue;
    auto id = chain_id_of(*key);
    if (!id) {
      log_error("chain_payment_unpayable", {{"key", t.key}, {"why", "job id or milestone number too large for a chain id"}});
      continue;
    }
    state->reset();
    state->bind(1, *id);
    if (state->step() && state->column_text(0) != "pending")
      log_error("chain_payment_late", {{"key", t.key}, {"why", "its (job, milestone) was already sent to the chain"}});
    state->reset();
    payment->reset();
    payment->bind(1, *id).bind(2, static_cast<int64_t>(key->job_id)).bind(3, now).run();
    std::string payee = key->fee ? "" : wallet_name(t.to).value_or("");
    part->reset();
    part->bind(1, *id).bind(2, static_cast<int64_t>(key->replica_id)).bind(3, payee).bind(4, t.amount).run();
    // The chain pays it into JobEscrow's credits: it leaves the book now.
    paid_out.push_back({t.key + ":to-chain", t.to, kExternalAccount, t.amount, "paid on chain (JobEscrow credits)"});
  }
  return paid_out;
}

void EvmLedger::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    auto pause = std::clamp<std::chrono::milliseconds>(options_.batch_delay / 2, std::chrono::milliseconds(50),
                                                       std::chrono::milliseconds(1000));
    std::unique_lock lock(wake_mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        settle_round(false);
      } catch (const std::exception& e) {
        std::lock_guard guard(mu_);
        last_error_ = e.what();
        log_warn("chain_settlement_round_failed", {{"error", e.what()}});
      }
      lock.lock();
      wake_.wait_for(lock, pause, [this] { return stopping_; });
    }
  });
}

void EvmLedger::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string EvmLedger::link_message(const std::string& name, const std::string& address) const {
  return "OpenGrid: pay and credit the account " + name + " at " + address_text(address) + " (chain " +
         std::to_string(client_.chain_id()) + ", escrow " + address_text(options_.escrow) + ")";
}

std::string EvmLedger::link(const std::string& name, const std::string& address, const std::string& signature) {
  if (address.size() != 20) throw std::invalid_argument("a chain address is 20 bytes (0x and 40 hex digits)");
  if (evm::recover_message_signer(link_message(name, address), signature) != address)
    throw std::invalid_argument("the signature is not by " + address_text(address) + " over the link message");
  uint64_t upto;
  {
    std::lock_guard lock(mu_);
    auto owner = db().prepare("SELECT name FROM chain_links WHERE address = ?1");
    owner->bind(1, address_text(address));
    if (owner->step() && owner->column_text(0) != name)
      throw std::invalid_argument(address_text(address) + " is linked to another account");
    // A link is for good: payments already owed bill the address a job was locked under.
    auto mine = db().prepare("SELECT address FROM chain_links WHERE name = ?1");
    mine->bind(1, name);
    if (mine->step() && mine->column_text(0) != address_text(address))
      throw std::invalid_argument(name + " is linked to " + mine->column_text(0) + " already");
    auto put = db().prepare(
        "INSERT INTO chain_links (name, address) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET address = excluded.address");
    put->bind(1, name).bind(2, address_text(address)).run();
  }
  // What the address committed before the link, up to the chain's head (the batcher may be
  // looking at the same blocks: the events' keys make crediting twice impossible).
  upto = confirmed_head(client_, options_.client.confirmations);
  if (upto >= options_.from_block) credit(escrow_.budget_events(options_.from_block, upto, address));
  log_info("chain_address_linked", {{"name", name}, {"address", address_text(address)}});
  return address_text(address);
}

std::optional<std::string> EvmLedger::address_of(const std::string& name) {
  std::lock_guard lock(mu_);
  auto s = db().prepare("SELECT address FROM chain_links WHERE name = ?1");
  s->bind(1, name);
  if (!s->step()) return std::nullopt;
  return evm::from_data(s->column_text(0));
}

std::optional<std::string> EvmLedger::name_of(const std::string& address) {
  std::lock_guard lock(mu_);
  auto s = db().prepare("SELECT name FROM chain_links WHERE address = ?1");
  s->bind(1, address_text(address));
  if (!s->step()) return std::nullopt;
  return s->column_text(0);
}

int64_t EvmLedger::meta(const std::string& key, int64_t fallback) {
  auto s = db().prepare("SELECT value FROM chain_meta WHERE key = ?1");
  s->bind(1, key);
  return s->step() ? s->column_int64(0) : fallback;
}

void EvmLedger::set_meta(const std::string& key, int64_t value) {
  auto s = db().prepare("INSERT INTO chain_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
  s->bind(1, key).bind(2, value).run();
}

void EvmLedger::fault(std::string_view stage) {
  if (options_.fault_point) options_.fault_point(stage);
}

void EvmLedger::credit_budgets() {
  uint64_t from;
  {
    std::lock_guard lock(mu_);
    from = static_cast<uint64_t>(meta("budget_block", static_cast<int64_t>(options_.from_block)));
  }
  uint64_t head = confirmed_head(client_, options_.client.confirmations);
  if (head < from) return;
  credit(escrow_.budget_events(from, head));
  std::lock_guard lock(mu_);
  set_meta("budget_block", static_cast<int64_t>(head + 1));
}

void EvmLedger::credit(const std::vector<evm::BudgetEvent>& events) {
  for (const auto& e : events) {
    auto name = name_of(e.requester);
    if (!name || e.amount == 0) continue;  // not (yet) linked: credited when it is
    if (e.amount > uint64_t(INT64_MAX)) {
      log_warn("chain_budget_event_ignored", {{"event", e.key}, {"why", "amount beyond 2^63"}});
      continue;
    }
    std::string wallet = wallet_account(*name);
    if (e.committed) {
      apply(Transfer{"chain:committed:" + e.key, kExternalAccount, wallet, static_cast<int64_t>(e.amount),
                     "budget committed on chain"});
      continue;
    }
    // Reclaimed after its date: what is left here leaves with it. Money locked for jobs
    // still running is not taken back; their payments would fail on chain and be held.
    int64_t take = std::min<int64_t>(static_cast<int64_t>(e.amount), balance(wallet));
    if (take < static_cast<int64_t>(e.amount))
      log_warn("chain_budget_reclaimed_while_locked", {{"name", *name}, {"reclaimed", std::to_string(e.amount)}});
    if (take > 0) apply(Transfer{"chain:reclaimed:" + e.key, wallet, kExternalAccount, take, "budget reclaimed on chain"});
  }
}

size_t EvmLedger::settle_round(bool force) {
  std::lock_guard round(round_mu_);
  try {
    credit_budgets();  // a bad event or a slow node must not stop payments going out
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    last_error_ = e.what();
    log_warn("chain_budget_read_failed", {{"error", e.what()}});
  }
  size_t paid = 0;
  try {
    if (!reconciled_) {
      reconcile_in_flight();
      reconciled_ = true;
    }
    while (auto batch = claim(force)) paid += send(*batch);
  } catch (...) {
    reconciled_ = false;  // whatever was in flight is looked at again next round
    throw;
  }
  return paid;
}

size_t EvmLedger::flush() { return settle_round(true); }

std::optional<EvmLedger::Claimed> EvmLedger::claim(bool force) {
  int64_t now = now_unix_us();
  {
    std::lock_guard lock(mu_);
    auto retry = db().prepare("UPDATE chain_payments SET state = 'pending' WHERE state = 'held' AND retry_at_us <= ?1");
    retry->bind(1, now).run();
    auto due = db().prepare(
        "SELECT COUNT(*), COALESCE(MIN(created_us), 0), COALESCE(MAX(solo), 0) FROM chain_payments WHERE state = 'pending'");
    due->step();
    int64_t count = due->column_int64(0);
    if (count == 0) return std::nullopt;
    bool full = static_cast<size_t>(count) >= options_.batch_size || due->column_int64(2) != 0;
    bool old = now - due->column_int64(1) >= std::chrono::duration_cast<std::chrono::microseconds>(options_.batch_delay).count();
    if (!force && !full && !old) return std::nullopt;
  }
  uint64_t from_block = evm::from_quantity(client_.rpc().call("eth_blockNumber").get<std::string>());
  std::lock_guard lock(mu_);
  // Jobs refused once in a batch go alone, so one bad requester holds up only itself.
  auto pick = db().prepare(
      "SELECT chain_id, job_id FROM chain_payments WHERE state = 'pending' "
      "ORDER BY solo DESC, chain_id LIMIT ?1");
  pick->bind(1, static_cast<int64_t>(options_.batch_size));
  std::vector<std::pair<int64_t, uint64_t>> candidates;
  bool solo_first = false;
  {
    auto solo = db().prepare("SELECT 1 FROM chain_payments WHERE state = 'pending' AND solo = 1 LIMIT 1");
    solo_first = solo->step();
  }
  while (pick->step()) {
    candidates.emplace_back(pick->column_int64(0), static_cast<uint64_t>(pick->column_int64(1)));
    if (solo_first) break;
  }
  auto requester = db().prepare("SELECT name FROM chain_requesters WHERE job_id = ?1");
  auto parts = db().prepare("SELECT payee, gross FROM chain_payment_parts WHERE chain_id = ?1 ORDER BY replica");
  auto hold = db().prepare("UPDATE chain_payments SET state = 'held', retry_at_us = ?2, note = ?3 WHERE chain_id = ?1");
  int64_t retry_at = now + std::chrono::duration_cast<std::chrono::microseconds>(options_.retry_after).count();
  std::map<std::string, std::optional<std::string>> addresses;
  auto address = [&](const std::string& name) -> const std::optional<std::string>& {
    auto it = addresses.find(name);
    if (it == addresses.end()) it = addresses.emplace(name, address_of(name)).first;
    return it->second;
  };
  Claimed batch;
  batch.from_block = from_block;
  for (const auto& [chain_id, job_id] : candidates) {
    requester->reset();
    requester->bind(1, static_cast<int64_t>(job_id));
    std::string who = requester->step() ? requester->column_text(0) : "";
    requester->reset();
    evm::BatchJob job;
    job.job_id = static_cast<uint64_t>(chain_id);
    std::string missing;
    if (who.empty()) missing = "the job's requester (no lock recorded)";
    else if (auto a = address(who)) job.requester = *a;
    else missing = who;
    parts->reset();
    parts->bind(1, chain_id);
    while (missing.empty() && parts->step()) {
      std::string payee = parts->column_text(0);
      const auto& a = address(payee);
      if (payee.empty() || !a) {
        missing = payee.empty() ? "a payment's provider" : payee;
        break;
      }
      job.payments.push_back({*a, static_cast<uint64_t>(parts->column_int64(1))});
    }
    parts->reset();
    if (!missing.empty()) {
      hold->reset();
      hold->bind(1, chain_id).bind(2, retry_at).bind(3, "no chain address for " + missing + " (og-wallet link)").run();
      continue;
    }
    batch.jobs.push_back(std::move(job));
    batch.chain_ids.push_back(chain_id);
  }
  if (batch.jobs.empty()) return std::nullopt;
  Transaction txn(db());
  auto insert = db().prepare("INSERT INTO chain_batches (from_block, state, jobs, at_us) VALUES (?1, 'in_flight', ?2, ?3)");
  insert->bind(1, static_cast<int64_t>(from_block)).bind(2, static_cast<int64_t>(batch.jobs.size())).bind(3, now).run();
  batch.id = db().last_insert_rowid();
  auto mark = db().prepare("UPDATE chain_payments SET state = 'in_flight', batch = ?2 WHERE chain_id = ?1");
  for (int64_t id : batch.chain_ids) {
    mark->reset();
    mark->bind(1, id).bind(2, batch.id).run();
  }
  txn.commit();
  return batch;
}

size_t EvmLedger::send(Claimed& batch) {
  fault("claimed");
  std::string tx;
  try {
    tx = client_.send(escrow_.address(), evm::encode_settle_batch(batch.jobs), 0);  // estimated: a revert throws here
  } catch (const std::exception& e) {
    release_failed(batch.id, evm::explain_revert(e.what()));
    return 0;
  }
  {
    std::lock_guard lock(mu_);
    auto s = db().prepare("UPDATE chain_batches SET tx_hash = ?2 WHERE id = ?1");
    s->bind(1, batch.id).bind(2, evm::to_data(tx)).run();
  }
  fault("sent");
  evm::Receipt receipt;
  try {
    receipt = client_.wait(tx);
  } catch (const std::exception& e) {  // not mined in time: reconciled from the chain's events next round
    std::lock_guard lock(mu_);
    last_error_ = e.what();
    reconciled_ = false;
    return 0;
  }
  fault("mined");
  if (!receipt.success) {
    release_failed(batch.id, "settleBatch reverted in " + evm::to_data(tx));
    return 0;
  }
  std::lock_guard lock(mu_);
  Transaction txn(db());
  auto done = db().prepare("UPDATE chain_payments SET state = 'paid', note = '' WHERE batch = ?1 AND state = 'in_flight'");
  done->bind(1, batch.id).run();
  auto mined = db().prepare("UPDATE chain_batches SET state = 'mined', gas_used = ?2 WHERE id = ?1");
  mined->bind(1, batch.id).bind(2, static_cast<int64_t>(receipt.gas_used)).run();
  txn.commit();
  log_info("chain_batch_settled", {{"jobs", std::to_string(batch.jobs.size())},
                                   {"gas", std::to_string(receipt.gas_used)},
                                   {"tx", evm::to_data(tx)}});
  return batch.jobs.size();
}

// What the chain says it paid of a batch is paid; the rest is sent again — alone, when the
// batch was refused, so one bad payment cannot hold up the others.
void EvmLedger::release_failed(uint64_t batch, const std::string& error) {
  int64_t from_block;
  {
    std::lock_guard lock(mu_);
    auto s = db().prepare("SELECT from_block FROM chain_batches WHERE id = ?1");
    s->bind(1, static_cast<int64_t>(batch));
    if (!s->step()) return;
    from_block = s->column_int64(0);
  }
  auto paid_list = escrow_.settled_since(static_cast<uint64_t>(from_block));
  std::set<int64_t> paid(paid_list.begin(), paid_list.end());
  std::lock_guard lock(mu_);
  last_error_ = error;
  log_warn("chain_batch_failed", {{"batch", std::to_string(batch)}, {"error", error}});
  Transaction txn(db());
  auto rows = db().prepare("SELECT chain_id FROM chain_payments WHERE batch = ?1 AND state = 'in_flight'");
  rows->bind(1, static_cast<int64_t>(batch));
  std::vector<int64_t> ids;
  while (rows->step()) ids.push_back(rows->column_int64(0));
  int64_t retry_at = now_unix_us() + std::chrono::duration_cast<std::chrono::microseconds>(options_.retry_after).count();
  auto mark_paid = db().prepare("UPDATE chain_payments SET state = 'paid', note = '' WHERE chain_id = ?1");
  auto again = db().prepare("UPDATE chain_payments SET state = 'pending', solo = 1 WHERE chain_id = ?1");
  auto hold = db().prepare("UPDATE chain_payments SET state = 'held', solo = 1, retry_at_us = ?2, note = ?3 WHERE chain_id = ?1");
  for (int64_t id : ids) {
    if (paid.count(id)) {
      mark_paid->reset();
      mark_paid->bind(1, id).run();
    } else if (ids.size() > 1) {
      again->reset();
      again->bind(1, id).run();
    } else {
      hold->reset();
      hold->bind(1, id).bind(2, retry_at).bind(3, error.substr(0, 500)).run();
    }
  }
  auto failed = db().prepare("UPDATE chain_batches SET state = 'failed' WHERE id = ?1");
  failed->bind(1, static_cast<int64_t>(batch)).run();
  txn.commit();
}

EvmLedger::TxFate EvmLedger::fate(const std::string& tx_hash) {
  if (tx_hash.empty()) return TxFate::Unknown;  // claimed, never sent
  auto receipt = client_.rpc().call("eth_getTransactionReceipt", {tx_hash});
  if (receipt.is_null()) {
    auto tx = client_.rpc().call("eth_getTransactionByHash", {tx_hash});
    return tx.is_null() ? TxFate::Unknown : TxFate::Pending;
  }
  uint64_t block = evm::from_quantity(receipt["blockNumber"].get<std::string>());
  if (confirmed_head(client_, options_.client.confirmations) < block) return TxFate::Pending;
  return receipt.value("status", std::string("0x0")) == "0x1" ? TxFate::Mined : TxFate::Reverted;
}

// After a restart (or a receipt that never came): batches marked in flight may or may not
// be on chain. Their transaction's receipt decides; with no transaction known (never sent,
// or dropped), the JobSettled events since the batch was claimed decide, and what the chain
// has not paid goes back to the queue. A transaction still pending stays in flight.
void EvmLedger::reconcile_in_flight() {
  std::vector<std::tuple<int64_t, int64_t, std::string>> batches;
  {
    std::lock_guard lock(mu_);
    auto s = db().prepare("SELECT id, from_block, tx_hash FROM chain_batches WHERE state = 'in_flight' ORDER BY id");
    while (s->step()) batches.emplace_back(s->column_int64(0), s->column_int64(1), s->column_text(2));
  }
  size_t found = 0, resent = 0, waiting = 0;
  for (const auto& [batch, from_block, tx_hash] : batches) {
    TxFate f = fate(tx_hash);
    if (f == TxFate::Pending) {
      ++waiting;
      continue;
    }
    std::set<int64_t> paid;
    if (f == TxFate::Mined) {
      paid.insert(INT64_MIN);  // marker: all of it
    } else {
      for (uint64_t id : escrow_.settled_since(static_cast<uint64_t>(from_block))) paid.insert(static_cast<int64_t>(id));
    }
    std::lock_guard lock(mu_);
    Transaction txn(db());
    auto rows = db().prepare("SELECT chain_id FROM chain_payments WHERE batch = ?1 AND state = 'in_flight'");
    rows->bind(1, batch);
    std::vector<int64_t> ids;
    while (rows->step()) ids.push_back(rows->column_int64(0));
    auto mark_paid = db().prepare("UPDATE chain_payments SET state = 'paid', note = '' WHERE chain_id = ?1");
    auto again = db().prepare("UPDATE chain_payments SET state = 'pending' WHERE chain_id = ?1");
    bool all_paid = true;
    for (int64_t id : ids) {
      bool is_paid = paid.count(INT64_MIN) || paid.count(id);
      all_paid &= is_paid;
      (is_paid ? found : resent) += 1;
      auto& s = is_paid ? mark_paid : again;
      s->reset();
      s->bind(1, id).run();
    }
    auto closed = db().prepare("UPDATE chain_batches SET state = ?2 WHERE id = ?1");
    closed->bind(1, batch).bind(2, all_paid ? "mined" : "failed").run();
    txn.commit();
  }
  if (!batches.empty())
    log_info("chain_reconciled", {{"batches", std::to_string(batches.size())},
                                  {"paid_on_chain", std::to_string(found)},
                                  {"sent_again", std::to_string(resent)},
                                  {"still_pending", std::to_string(waiting)}});
  if (waiting > 0) throw std::runtime_error(std::to_string(waiting) + " settlement transaction(s) still pending");
}

ChainSettlementStatus EvmLedger::status() {
  std::lock_guard lock(mu_);
  ChainSettlementStatus out;
  auto s = db().prepare("SELECT state, COUNT(*) FROM chain_payments GROUP BY state");
  while (s->step()) {
    std::string state = s->column_text(0);
    size_t n = static_cast<size_t>(s->column_int64(1));
    if (state == "pending") out.pending = n;
    else if (state == "in_flight") out.in_flight = n;
    else if (state == "paid") out.paid = n;
    else if (state == "held") out.held = n;
  }
  auto b = db().prepare("SELECT COUNT(*), COALESCE(SUM(gas_used), 0) FROM chain_batches WHERE state = 'mined'");
  b->step();
  out.batches = static_cast<size_t>(b->column_int64(0));
  out.gas_used = static_cast<uint64_t>(b->column_int64(1));
  out.last_error = last_error_;
  return out;
}

}  // namespace og
