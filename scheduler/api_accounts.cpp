// The API's account routes (the table is in api.cpp): who am I, metrics, wallets and their
// chain link, users and their signing keys.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/money.hpp"
#include "scheduler/api.hpp"
#include "scheduler/api_support.hpp"
#include "scheduler/request_bodies.hpp"

namespace og {
namespace {

using json = nlohmann::json;

json wallet_json(const WalletView& w) {
  json out{{"name", w.name},
           {"balance", format_money(w.balance)},
           {"escrow", format_money(w.escrow)},
           {"bond", format_money(w.bond)},
           {"unbonding", format_money(w.unbonding)},
           {"unbond_at", w.unbond_at_us / 1'000'000}};
  if (w.chain)
    out["chain"] = {{"address", w.chain->address},
                    {"budget", format_money(w.chain->budget)},
                    {"credits", format_money(w.chain->credits)},
                    {"payments_pending", w.chain->pending},
                    {"payments_held", w.chain->held},
                    {"last_error", w.chain->last_error}};
  return out;
}

int64_t amount_of(const json& body) {
  try {
    return parse_money_micros(field<std::string>(body, "amount", ""));
  } catch (const UsageError& e) {
    throw ApiError(Refusal::Invalid, "invalid_amount", std::string("\"amount\": ") + e.what());
  }
}

}  // namespace

using namespace api;

HttpResponse Api::ping(const Call& c) {
  return ok({{"status", "ok"}, {"version", "0.1.0"}, {"user", c.user.name}, {"role", c.user.role}});
}

HttpResponse Api::terms(const Call&) {
  MeshTerms t = services_.wallets.terms();
  return ok({{"payments", t.payments},
             {"settles_on_chain", t.on_chain},
             {"bond_per_partition", format_money(t.bond_micros)},
             {"faucet_per_wallet", format_money(t.faucet_micros)},
             {"protocol_fee_bps", t.fee_bps}});
}

HttpResponse Api::metrics(const Call& c) {
  // Prometheus scrapes with the admin credential (authorization: credentials_file).
  if (c.user.role != "admin") throw ApiError(Refusal::Forbidden, "forbidden", "/metrics is for admin credentials");
  return HttpResponse{200, "text/plain; version=0.0.4", services_.queries.metrics_text(), {}};
}

HttpResponse Api::wallet(const Call& c) { return ok(wallet_json(services_.wallets.wallet(c.user, c.query("user")))); }

HttpResponse Api::wallet_action(const Call& c) {
  if (c.action() == "unbond") return ok(wallet_json(services_.wallets.unbond(c.user)));
  json body = parse_body(c.req.body);
  if (c.action() == "deposit") {
    only_fields(body, {"amount", "user", "request_id"});
    return ok(wallet_json(services_.wallets.deposit(c.user, field<std::string>(body, "user", ""), amount_of(body),
                                              field<std::string>(body, "request_id", ""))));
  }
  only_fields(body, {"amount", "request_id"});
  return ok(wallet_json(services_.wallets.withdraw(c.user, amount_of(body), field<std::string>(body, "request_id", ""))));
}

HttpResponse Api::chain_link(const Call& c) {
  // EVM ledger: what to sign to link a chain address, and the signed link.
  if (c.req.method == "GET") return ok({{"message", services_.wallets.chain_link_message(c.user, c.query("address"))}});
  json body = parse_body(c.req.body);
  only_fields(body, {"address", "signature"});
  return ok(wallet_json(services_.wallets.link_chain_address(c.user, field<std::string>(body, "address", ""),
                                                       field<std::string>(body, "signature", ""))));
}

HttpResponse Api::wallet_history(const Call& c) {
  size_t limit = 100;
  if (auto l = c.query("limit"); !l.empty())
    limit = static_cast<size_t>(std::clamp<uint64_t>(parse_id(l, "limit"), 1, 10'000));
  json entries = json::array();
  for (const auto& e : services_.wallets.wallet_history(c.user, c.query("user"), limit))
    entries.push_back({{"seq", e.seq},
                       {"time", e.at_us / 1'000'000},
                       {"from", e.transfer.from},
                       {"to", e.transfer.to},
                       {"amount", format_money(e.transfer.amount)},
                       {"memo", e.transfer.memo},
                       {"key", e.transfer.key}});
  return ok({{"entries", entries}});
}

HttpResponse Api::wallet_earnings(const Call& c) {
  int days = 30;
  if (auto d = c.query("days"); !d.empty()) days = static_cast<int>(std::clamp<uint64_t>(parse_id(d, "days"), 1, 366));
  Earnings e = services_.wallets.earnings(c.user, c.query("user"), days);
  json per_day = json::array();
  for (const auto& d : e.days)
    per_day.push_back({{"day", d.day}, {"earned", format_money(d.earned_micros)}, {"jobs", d.jobs},
                       {"slashed", format_money(d.slashed_micros)}});
  return ok({{"earned", format_money(e.earned_micros)}, {"jobs", e.jobs}, {"payments", e.payments},
             {"slashed", format_money(e.slashed_micros)}, {"days", per_day}});
}

HttpResponse Api::user_key(const Call& c) {
  // /og/v1/users/NAME/key: "me" for oneself; anyone may read a key, only its owner set it.
  std::string name = c.params.at(0) == "me" ? c.user.name : c.params.at(0);
  if (c.req.method == "PUT") {
    if (name != c.user.name) throw ApiError(Refusal::Forbidden, "forbidden", "a user sets only its own key");
    json body = parse_body(c.req.body);
    only_fields(body, {"public_key"});
    services_.credentials.set_public_key(c.user, field<std::string>(body, "public_key", ""));
  }
  return ok({{"user", name}, {"public_key", services_.credentials.public_key(name)}});
}

HttpResponse Api::add_user(const Call& c) {
  c.require(c.user.role == "admin", "only admins add users");
  json body = parse_body(c.req.body);
  only_fields(body, {"name", "role"});
  std::string name = field<std::string>(body, "name", "");
  std::string token = services_.credentials.add_user(name, field<std::string>(body, "role", "user"));
  return created({{"name", name}, {"token", token}});
}

}  // namespace og
