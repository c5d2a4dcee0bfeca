#include "scheduler/api.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/http_status.hpp"
#include "core/money.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "jobscripts/job_ref.hpp"
#include "scheduler/api_support.hpp"
#include "scheduler/dashboard.hpp"
#include "scheduler/json_views.hpp"

namespace og {
namespace api {

using json = nlohmann::json;

uint64_t parse_id(const std::string& text, const char* what) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0)
    throw ApiError(Refusal::Invalid, "invalid_id", std::string(what) + " \"" + text + "\" is not a positive integer");
  return value;
}

uint64_t parse_count(const std::string& text, const char* what) {
  if (text.empty()) return 0;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size())
    throw ApiError(Refusal::Invalid, "invalid_number", std::string(what) + " \"" + text + "\" is not a number of 0 or more");
  return value;
}

JobFilter filter_from_query(const HttpRequest& req) {
  JobFilter f;
  auto get = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  try {
    for (const auto& ref : jobscripts::parse_job_refs(get("job_id"))) {
      if (ref.tasks.empty()) f.ids.insert(ref.id);
      else f.tasks[ref.id].insert(ref.tasks.begin(), ref.tasks.end());
    }
  } catch (const UsageError& e) {
    throw ApiError(Refusal::Invalid, "invalid_job_id", e.what());
  }
  for (const auto& u : split_list(get("user"), ',')) f.users.insert(u);
  for (const auto& n : split_list(get("name"), ',')) f.names.insert(n);
  for (const auto& p : split_list(get("partition"), ',')) f.partitions.insert(p);
  if (auto newest = get("newest"); !newest.empty()) f.newest = static_cast<size_t>(parse_id(newest, "newest"));
  try {
    for (const auto& s : split_list(get("state"), ',')) f.states.insert(job_state_from_string(s));
  } catch (const UsageError& e) {
    throw ApiError(Refusal::Invalid, "invalid_state", e.what());
  }
  return f;
}

HttpResponse ok(const json& j) { return json_response(200, j.dump() + "\n"); }

HttpResponse created(const json& j) { return json_response(201, j.dump() + "\n"); }

json estimate_json(const StartEstimate& e) {
  json j = {{"start_time", (e.start_us + 999'999) / 1'000'000}, {"partitions", e.partitions}};
  if (e.cost_micros >= 0) j["cost"] = format_money(e.cost_micros);
  return j;
}

HttpResponse jobs_listing(const std::vector<JobView>& views, const std::map<uint64_t, StartEstimate>& estimates,
                          std::optional<size_t> matched) {
  std::string body = "{\"jobs\":[";
  for (size_t i = 0; i < views.size(); ++i) {
    json j = job_json(views[i]);
    if (auto e = estimates.find(views[i].job.id); e != estimates.end()) j["expected"] = estimate_json(e->second);
    if (i > 0) body += ',';
    body += j.dump();
  }
  body += "]";
  if (matched) body += ",\"matched\":" + std::to_string(*matched);
  body += "}\n";
  return json_response(200, std::move(body));
}

json jobs_json(const std::vector<JobView>& views) {
  json arr = json::array();
  for (const auto& v : views) arr.push_back(job_json(v));
  return {{"jobs", arr}};
}

}  // namespace api

using api::parse_id;

const std::vector<Api::Route>& Api::routes() {
  static const std::vector<Route> table = {
      {"GET", "/og/v1/ping", &Api::ping},
      {"GET", "/og/v1/terms", &Api::terms},
      {"GET", "/metrics", &Api::metrics},
      // Jobs (api_jobs.cpp).
      {"POST", "/og/v1/jobs", &Api::submit_job},
      {"GET", "/og/v1/jobs", &Api::list_jobs},
      {"POST", "/og/v1/jobs/parse", &Api::parse_script},
      {"GET", "/og/v1/jobs/{}", &Api::show_job},
      {"DELETE", "/og/v1/jobs/{}", &Api::cancel_job},
      {"POST", "/og/v1/jobs/{}/dispute", &Api::job_action},
      {"POST", "/og/v1/jobs/{}/requeue", &Api::job_action},
      {"POST", "/og/v1/jobs/{}/update", &Api::job_action},
      {"POST", "/og/v1/jobs/{}/hold", &Api::job_action},
      {"POST", "/og/v1/jobs/{}/release", &Api::job_action},
      {"GET", "/og/v1/jobs/{}/wait", &Api::wait_job},
      {"GET", "/og/v1/jobs/{}/events", &Api::job_events},
      {"GET", "/og/v1/jobs/{}/result", &Api::job_result},
      {"GET", "/og/v1/jobs/{}/files/{*}", &Api::job_file},
      {"GET", "/og/v1/jobs/{}/replicas/{}/result", &Api::replica_result},
      {"GET", "/og/v1/jobs/{}/replicas/{}/files/{*}", &Api::replica_file},
      {"GET", "/og/v1/jobs/{}/output", &Api::job_output},
      {"GET", "/og/v1/priority", &Api::priorities},
      {"GET", "/og/v1/accounting", &Api::accounting},
      // Providers: partitions, leases, artifacts (api_providers.cpp).
      {"GET", "/og/v1/partitions", &Api::list_partitions},
      {"PUT", "/og/v1/partitions/{}", &Api::offer_partition},
      {"POST", "/og/v1/partitions/{}/drain", &Api::drain_partition},
      {"POST", "/og/v1/partitions/{}/resume", &Api::drain_partition},
      {"POST", "/og/v1/partitions/{}/poll", &Api::poll},
      {"GET", "/og/v1/leases/{}/bundle", &Api::lease_input},
      {"GET", "/og/v1/leases/{}/secrets", &Api::lease_input},
      {"GET", "/og/v1/leases/{}/checkpoint", &Api::lease_input},
      {"GET", "/og/v1/leases/{}/data", &Api::lease_input},
      {"POST", "/og/v1/leases/{}/milestone", &Api::milestone},
      {"POST", "/og/v1/leases/{}/complete", &Api::complete},
      {"POST", "/og/v1/leases/{}/output", &Api::lease_output},
      {"PUT", "/og/v1/artifacts/{}", &Api::put_artifact},
      {"HEAD", "/og/v1/artifacts/{}", &Api::probe_artifact},
      {"GET", "/og/v1/artifacts/{}", &Api::probe_artifact},
      // Accounts: wallets and users (api_accounts.cpp).
      {"GET", "/og/v1/wallet", &Api::wallet},
      {"POST", "/og/v1/wallet/deposit", &Api::wallet_action},
      {"POST", "/og/v1/wallet/withdraw", &Api::wallet_action},
      {"POST", "/og/v1/wallet/unbond", &Api::wallet_action},
      {"GET", "/og/v1/wallet/chain-link", &Api::chain_link},
      {"POST", "/og/v1/wallet/chain-link", &Api::chain_link},
      {"GET", "/og/v1/wallet/history", &Api::wallet_history},
      {"GET", "/og/v1/wallet/earnings", &Api::wallet_earnings},
      {"GET", "/og/v1/users/{}/key", &Api::user_key},
      {"PUT", "/og/v1/users/{}/key", &Api::user_key},
      {"POST", "/og/v1/users", &Api::add_user},
  };
  return table;
}

namespace {

// Whether `path` fits `pattern`; its placeholders' values go to `params`.
bool fits(const std::vector<std::string>& parts, const std::vector<std::string>& path,
          std::vector<std::string>& params) {
  params.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "{*}") {
      if (i >= path.size()) return false;
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) rest += (j > i ? "/" : "") + path[j];
      params.push_back(std::move(rest));
      return true;
    }
    if (i >= path.size()) return false;
    if (parts[i] == "{}") params.push_back(path[i]);
    else if (parts[i] != path[i]) return false;
  }
  return parts.size() == path.size();
}

}  // namespace

uint64_t Api::Call::id(size_t index, const char* what) const { return parse_id(params.at(index), what); }

std::string Api::Call::query(const char* key) const {
  auto it = req.query.find(key);
  return it == req.query.end() ? std::string() : it->second;
}

std::string Api::Call::action() const {
  auto parts = split_list(req.path, '/');
  return parts.empty() ? std::string() : parts.back();
}

void Api::Call::require(bool allowed, const std::string& what) const {
  if (!allowed) throw ApiError(Refusal::Forbidden, "forbidden", what + " (you are " + user.name + ", role " + user.role + ")");
}

HttpResponse Api::route(const HttpRequest& req, const User& user) {
  static const std::vector<std::vector<std::string>> patterns = [] {  // split once
    std::vector<std::vector<std::string>> out;
    for (const auto& r : routes()) out.push_back(split_list(r.pattern, '/'));
    return out;
  }();
  auto path = split_list(req.path, '/');
  // The most literal patterns that fit win: /og/v1/jobs/parse is not job "parse".
  const Route* chosen = nullptr;
  int best = -1;
  bool path_known = false;
  std::vector<std::string> params, chosen_params;
  for (size_t i = 0; i < routes().size(); ++i) {
    const Route& r = routes()[i];
    if (!fits(patterns[i], path, params)) continue;
    int literal = static_cast<int>(patterns[i].size() - params.size());
    if (literal > best) {
      best = literal;
      chosen = nullptr;
      path_known = false;
    }
    if (literal < best) continue;
    path_known = true;
    if (req.method == r.method) {
      chosen = &r;
      chosen_params = params;
    }
  }
  if (chosen) {
    Call call{req, user, std::move(chosen_params)};
    return (this->*chosen->handler)(call);
  }
  if (path_known) throw ApiError(Refusal::NotAllowed, "method_not_allowed", req.method + " is not allowed on " + req.path);
  if (req.path.rfind("/og/v1/", 0) != 0)
    throw ApiError(Refusal::NotFound, "not_found", "no such endpoint " + req.path + " (the API lives under /og/v1/)");
  throw ApiError(Refusal::NotFound, "not_found", "no such endpoint " + req.method + " " + req.path);
}

HttpResponse Api::handle(const HttpRequest& req) {
  try {
    // Liveness, for load balancers and orchestrators: no credential needed, nothing told.
    if (req.path == "/healthz") {
      if (req.method != "GET") throw ApiError(Refusal::NotAllowed, "method_not_allowed", "GET /healthz");
      return HttpResponse{200, "text/plain", "ok\n", {}};
    }
    if (req.method == "GET")
      if (auto page = dashboard_response(req.path)) return std::move(*page);
    int64_t retry_after_s = 0;
    auto too_many = [&](const std::string& who, const std::string& why) {
      auto r = error_response(429, "rate_limited", "too many requests from " + who + ": retry in " +
                                                       std::to_string(retry_after_s) + " s (" + why + ")");
      r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
      return r;
    };
    std::string auth = req.header("authorization");
    const std::string prefix = "Bearer ";
    std::string token = auth.rfind(prefix, 0) == 0 ? auth.substr(prefix.size()) : std::string();
    // A credential already seen is served whatever its address did; only lookups of
    // unknown ones are limited per address (an IPv6 /64 counts as one).
    std::optional<User> user = services_.credentials.cached(token);
    if (!user) {
      const std::string address = client_address_group(req.remote_address);
      if (refused_.spent(address, monotonic_us(), retry_after_s))
        return too_many(address, "too many requests with a missing or unknown credential");
      user = services_.credentials.authenticate(token);
      if (!user) {
        refused_.allow(address, monotonic_us(), retry_after_s);
        auto r = error_response(401, "unauthenticated",
                                "missing or unknown credential: send \"Authorization: Bearer TOKEN\"");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
      }
    }
    if (!limiter_.allow(user->name, monotonic_us(), retry_after_s)) return too_many(user->name, "og-schedd --rate-limit");
    return route(req, *user);
  } catch (const ApiError& e) {
    return error_response(http_status(e.kind()), e.code(), e.what());
  }
}

}  // namespace og
