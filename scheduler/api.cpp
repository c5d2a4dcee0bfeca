#include "scheduler/api.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/checkpoints.hpp"
#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/job_signature.hpp"
#include "core/money.hpp"
#include "core/sha256.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"
#include "jobscripts/directives.hpp"
#include "scheduler/dashboard.hpp"
#include "scheduler/json_views.hpp"
#include "scheduler/request_bodies.hpp"
#include "verify/manifest.hpp"

namespace og {
namespace {

using json = nlohmann::json;

uint64_t parse_id(const std::string& text, const char* what) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0)
    throw ApiError(400, "invalid_id", std::string(what) + " \"" + text + "\" is not a positive integer");
  return value;
}

JobFilter filter_from_query(const HttpRequest& req) {
  JobFilter f;
  auto get = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  for (const auto& id : split_list(get("job_id"), ',')) f.ids.insert(parse_id(id, "job id"));
  for (const auto& u : split_list(get("user"), ',')) f.users.insert(u);
  for (const auto& n : split_list(get("name"), ',')) f.names.insert(n);
  for (const auto& p : split_list(get("partition"), ',')) f.partitions.insert(p);
  if (auto newest = get("newest"); !newest.empty()) f.newest = static_cast<size_t>(parse_id(newest, "newest"));
  try {
    for (const auto& s : split_list(get("state"), ',')) f.states.insert(job_state_from_string(s));
  } catch (const UsageError& e) {
    throw ApiError(400, "invalid_state", e.what());
  }
  return f;
}

HttpResponse ok(const json& j) { return json_response(200, j.dump() + "\n"); }

json estimate_json(const StartEstimate& e) {
  json j = {{"start_time", (e.start_us + 999'999) / 1'000'000}, {"partitions", e.partitions}};
  if (e.cost_micros >= 0) j["cost"] = format_money(e.cost_micros);
  return j;
}

// {"jobs":[...]} written one job at a time: a queue of 10,000 jobs as one JSON tree took
// og-schedd's memory from 45 to 170 MiB for the length of a listing (bench/load.sh).
HttpResponse jobs_listing(const std::vector<JobView>& views, const std::map<uint64_t, StartEstimate>& estimates,
                          std::optional<size_t> matched = std::nullopt) {
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

}  // namespace

HttpResponse Api::handle(const HttpRequest& req) {
  try {
    // Liveness, for load balancers and orchestrators: no credential needed, nothing told.
    if (req.path == "/healthz") {
      if (req.method != "GET") throw ApiError(405, "method_not_allowed", "GET /healthz");
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
    std::optional<User> user = controller_.cached_user(token);
    if (!user) {
      const std::string address = client_address_group(req.remote_address);
      if (refused_.spent(address, monotonic_us(), retry_after_s))
        return too_many(address, "too many requests with a missing or unknown credential");
      user = controller_.authenticate(token);
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
    return error_response(e.status(), e.code(), e.what());
  }
}

HttpResponse Api::route(const HttpRequest& req, const User& user) {
  if (req.path == "/metrics") {
    // Prometheus scrapes with the admin credential (authorization: credentials_file).
    if (req.method != "GET") throw ApiError(405, "method_not_allowed", "GET /metrics");
    if (user.role != "admin") throw ApiError(403, "forbidden", "/metrics is for admin credentials");
    return HttpResponse{200, "text/plain; version=0.0.4", controller_.metrics_text(), {}};
  }
  auto parts = split_list(req.path, '/');
  if (parts.size() < 3 || parts[0] != "og" || parts[1] != "v1")
    throw ApiError(404, "not_found", "no such endpoint " + req.path + " (the API lives under /og/v1/)");
  const std::string& m = req.method;
  const std::string& res = parts[2];
  size_t n = parts.size();
  auto method_not_allowed = [&]() {
    return ApiError(405, "method_not_allowed", m + " is not allowed on " + req.path);
  };
  auto require = [&](bool cond, const char* what) {
    if (!cond) throw ApiError(403, "forbidden", std::string(what) + " (you are " + user.name + ", role " + user.role + ")");
  };

  if (res == "ping" && n == 3) {
    return ok({{"status", "ok"}, {"version", "0.1.0"}, {"user", user.name}, {"role", user.role}});
  }

  if (res == "jobs") {
    if (n == 3 && m == "POST") {
      require(user.role != "worker", "workers cannot submit jobs");
      json body = parse_body(req.body);
      only_fields(body, {"job", "test_only", "secrets"});
      if (!body.contains("job")) throw ApiError(400, "missing_field", "request needs a \"job\" object");
      JobSpec spec = job_spec_from_json(body["job"]);
      Secrets secrets;
      for (const auto& [name, hex] : field<std::map<std::string, std::string>>(body, "secrets", {})) {
        auto value = from_hex(hex);
        if (!value || value->size() > 64 * 1024)
          throw ApiError(400, "invalid_field", "secret \"" + name + "\" must be hex of at most 64 KiB");
        secrets[name] = std::move(*value);
      }
      if (!spec.bundle_sha256.empty() && !bundles_.contains(spec.bundle_sha256))
        throw ApiError(400, "bundle_missing",
                       "upload the job's bundle first (PUT /og/v1/artifacts/" + spec.bundle_sha256 + "?purpose=bundle)");
      if (field<bool>(body, "test_only", false)) {
        auto result = controller_.test_only(user, std::move(spec));
        json answer = {{"job_id", 0}, {"would_start", !result.partitions.empty()},
                       {"partitions", result.partitions}, {"reason", result.reason}};
        if (result.estimate) answer["expected"] = estimate_json(*result.estimate);
        return ok(answer);
      }
      auto ids = controller_.submit(user, std::move(spec), secrets);
      return json_response(201, json{{"job_id", ids.front()}, {"job_ids", ids}}.dump() + "\n");
    }
    if (n == 3 && m == "GET") {
      std::map<uint64_t, StartEstimate> estimates;
      if (auto start = req.query.find("start"); start != req.query.end() && start->second == "1")
        estimates = controller_.expected_starts();  // og-squeue --start: where and when pending jobs start
      JobFilter filter = filter_from_query(req);
      auto listing = controller_.list_jobs(filter);
      // ?newest=N: the N most recent matches, and how many matched in all.
      return jobs_listing(listing.jobs, estimates, filter.newest > 0 ? std::optional(listing.matched) : std::nullopt);
    }
    if (n == 3) throw method_not_allowed();
    if (n == 4 && parts[3] == "parse") {
      // The dashboard's submit form: og-sbatch's directive parser on a script's text, and
      // the exact bytes the requester signs for it (the page signs with its key).
      if (m != "POST") throw method_not_allowed();
      json body = parse_body(req.body);
      only_fields(body, {"script", "script_name", "args", "signer"});
      auto name = field<std::string>(body, "script_name", "dashboard.sh");
      if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos)
        throw ApiError(400, "invalid_field", "script_name must be a file name of 1-255 characters without '/'");
      jobscripts::ParsedJob parsed;
      try {
        parsed = jobscripts::parse_job(field<std::string>(body, "script", ""), name, {});
      } catch (const UsageError& e) {
        throw ApiError(400, "invalid_script", e.what());
      }
      if (!parsed.flags.inputs.empty() || !parsed.flags.bundle_dir.empty() || !parsed.flags.secrets.empty())
        throw ApiError(400, "invalid_script",
                       "the script asks for files or secrets from the submitting machine (--input, --bundle, "
                       "--secret): submit it with og-sbatch, which packs and signs them");
      parsed.spec.script_args = field<std::vector<std::string>>(body, "args", {});
      // The signature covers the signer's public key too.
      parsed.spec.signer = field<std::string>(body, "signer", "");
      if (!parsed.spec.signer.empty() && (parsed.spec.signer.size() != 64 || !from_hex(parsed.spec.signer)))
        throw ApiError(400, "invalid_field", "signer must be an Ed25519 public key: 64 hex digits");
      return ok({{"job", to_json(parsed.spec)},
                 {"signing_payload_hex", to_hex(job_signing_payload(user.name, parsed.spec))},
                 {"warnings", parsed.warnings}});
    }
    uint64_t id = parse_id(parts[3], "job id");
    if (n == 4 && m == "GET") {
      auto detail = controller_.get_job(id);
      if (!detail) throw ApiError(404, "job_not_found", "job " + parts[3] + " does not exist");
      json j = job_json(detail->view);
      json reps = json::array();
      // Output manifests (names, sizes, digests) are the owner's to see.
      bool owner = user.role == "admin" || user.name == detail->view.job.user;
      for (const auto& r : detail->replicas) reps.push_back(replica_json(r, owner));
      j["replica_leases"] = reps;
      return ok({{"jobs", json::array({j})}});
    }
    if (n == 4 && m == "DELETE") return ok(jobs_json({controller_.cancel_job(user, id)}));
    if (n == 5 && m == "POST" && parts[4] == "dispute") {
      uint64_t audit = controller_.dispute(user, id);
      return json_response(201, json{{"job_id", audit}, {"disputed", id}}.dump() + "\n");
    }
    if (n == 5 && m == "POST" && parts[4] == "requeue")
      return ok(jobs_json({controller_.requeue_job(user, id)}));
    if (n == 5 && m == "POST" && parts[4] == "update") {
      return ok(jobs_json({controller_.update_job(user, id, decode_job_update(parse_body(req.body)))}));
    }
    if (n == 5 && m == "POST" && (parts[4] == "hold" || parts[4] == "release"))
      return ok(jobs_json({controller_.set_hold(user, id, parts[4] == "hold")}));
    if (n == 5 && m == "GET" && parts[4] == "wait") {
      // Long poll for og-sbatch --wait: answers when the job has finished, or (?since=STATE)
      // is no longer in that state, or after timeout_ms.
      int64_t timeout_ms = 30000;
      if (auto it = req.query.find("timeout_ms"); it != req.query.end())
        timeout_ms = std::min<int64_t>(static_cast<int64_t>(parse_id(it->second, "timeout_ms")), 60000);
      auto since = req.query.find("since");
      return ok(jobs_json({controller_.wait_job(id, timeout_ms * 1000, since == req.query.end() ? "" : since->second)}));
    }
    if (n == 5 && m == "GET" && parts[4] == "events") {
      // The job's history, as Flux's `flux job eventlog`: its owner's or an admin's to read.
      json events = json::array();
      for (const auto& e : controller_.job_events(user, id)) events.push_back(to_json(e));
      return ok({{"job_id", id}, {"events", events}});
    }
    if (n == 5 && m == "GET" && parts[4] == "result")
      return ok(json::parse(controller_.canonical_manifest(user, id)));
    if (n >= 6 && m == "GET" && parts[4] == "files") {
      // A file of the job's accepted result, by its path in the manifest.
      std::string path;
      for (size_t i = 5; i < n; ++i) path += (i > 5 ? "/" : "") + parts[i];
      Manifest manifest = manifest_from_json(json::parse(controller_.canonical_manifest(user, id)));
      for (const auto& f : manifest.files) {
        if (f.path != path) continue;
        auto data = artifacts_.get(f.sha256);
        if (!data) throw ApiError(404, "artifact_missing", "output " + path + " was not uploaded");
        return HttpResponse{200, "application/octet-stream", std::move(*data), {}};
      }
      throw ApiError(404, "file_not_found", "job " + parts[3] + " has no output file " + path);
    }
    throw method_not_allowed();
  }

  if (res == "priority" && n == 3 && m == "GET") {
    json arr = json::array();
    for (const auto& [view, f] : controller_.priorities()) {
      json j = job_json(view);
      j["priority"] = f.priority;
      j["factors"] = {{"age", f.age}, {"job_size", f.job_size}, {"fairshare", f.fairshare},
                      {"qos", f.qos}, {"nice", f.nice}};
      arr.push_back(j);
    }
    return ok({{"jobs", arr}});
  }

  if (res == "accounting" && n == 3 && m == "GET") {
    int64_t since_s = 0;
    if (auto it = req.query.find("since"); it != req.query.end() && !it->second.empty())
      since_s = static_cast<int64_t>(parse_id(it->second, "since"));
    return jobs_listing(controller_.accounting(since_s * 1000000, filter_from_query(req)), {});
  }

  if (res == "partitions") {
    if (n == 3 && m == "GET") {
      json arr = json::array();
      int64_t now = monotonic_us();
      for (const auto& p : controller_.partitions()) arr.push_back(partition_json(p, now));
      return ok({{"partitions", arr}});
    }
    if (n < 4) throw method_not_allowed();
    const std::string& name = parts[3];
    if (n == 4 && m == "PUT") {
      Partition p = decode_partition_offer(name, parse_body(req.body));
      return ok({{"partitions", json::array({partition_json(controller_.register_partition(user, p), monotonic_us())})}});
    }
    if (n == 5 && m == "POST" && (parts[4] == "drain" || parts[4] == "resume"))
      return ok({{"partitions", json::array({partition_json(controller_.set_drain(user, name, parts[4] == "drain"), monotonic_us())})}});
    if (n == 5 && m == "POST" && parts[4] == "poll") {
      PollRequest poll = decode_poll(parse_body(req.body));
      auto result = controller_.poll(user, name, poll.instance, poll.running, poll.wait_ms * 1000);
      json leases = json::array();
      for (const auto& l : result.leases) leases.push_back(lease_json(l));
      return ok({{"leases", leases}, {"cancel", result.cancel},
                 {"max_wait_ms", controller_.max_poll_wait_us() / 1000}});
    }
    throw method_not_allowed();
  }

  if (res == "leases" && n == 5 && (parts[4] == "bundle" || parts[4] == "secrets" || parts[4] == "checkpoint")) {
    // What only the worker holding the lease may have: the job's files, its secrets and
    // the verified checkpoint it resumes from.
    if (m != "GET") throw method_not_allowed();
    require(user.role == "worker", "only the worker holding a lease fetches its bundle and secrets");
    uint64_t lease = parse_id(parts[3], "lease id");
    if (parts[4] == "secrets") {
      json secrets = json::object();
      for (const auto& [name, value] : controller_.lease_secrets(user, lease)) secrets[name] = to_hex(value);
      return ok({{"secrets", secrets}});
    }
    if (parts[4] == "checkpoint") {
      std::string digest = controller_.lease_checkpoint(user, lease);
      auto data = digest.empty() ? std::nullopt : artifacts_.get(digest);
      if (!data) throw ApiError(404, "no_checkpoint", "og-schedd holds no verified checkpoint for lease " + parts[3]);
      return HttpResponse{200, "application/octet-stream", std::move(*data), {}};
    }
    std::string digest = controller_.lease_bundle(user, lease);
    if (digest.empty()) throw ApiError(404, "no_bundle", "the job of lease " + parts[3] + " has no bundle");
    auto data = bundles_.get(digest);
    if (!data) throw ApiError(404, "bundle_missing", "og-schedd no longer has bundle " + digest);
    return HttpResponse{200, "application/octet-stream", std::move(*data), {}};
  }

  if (res == "leases" && n == 5 && (parts[4] == "complete" || parts[4] == "milestone")) {
    if (m != "POST") throw method_not_allowed();
    require(user.role == "worker" || user.role == "admin", "only workers report on leases");
    uint64_t lease = parse_id(parts[3], "lease id");
    if (parts[4] == "milestone") {
      auto [index, digest] = decode_milestone(parse_body(req.body));
      bool checkpoint = controller_.milestone(user, lease, index, digest);
      // The job's verified checkpoint, which og-schedd keeps for replicas that replace
      // lost ones: ask this replica for its content unless another sent it already.
      return ok({{"lease_id", lease}, {"milestone", index},
                 // Asked whether or not the blob is stored: its existence is not told.
                 {"checkpoint_wanted", checkpoint && !controller_.checkpoint_held(user, lease)}});
    }
    auto [report, decoded] = decode_completion(parse_body(req.body));
    if (decoded) {
      Manifest& manifest = *decoded;
      uint64_t total = 0;
      for (const auto& f : manifest.files) total += f.size;
      if (total > controller_.max_job_output()) {
        // More than og-schedd keeps for one replica: the run cannot be verified, so it
        // fails visibly (as when an upload is refused) rather than being retried.
        report.outcome = Outcome::Failed;
        report.exit_code = 1;
        manifest = Manifest{{}, merkle_root({})};
      }
      // Only outputs this lease uploaded: naming another lease's blob by its hash must not
      // pass it off as this replica's result.
      for (const auto& f : manifest.files)
        if (f.size > 0 && !(artifacts_.contains(f.sha256) && controller_.lease_may_name(user, lease, f.sha256)))
          throw ApiError(409, "artifact_missing", "upload " + f.path + " (" + f.sha256 + ") for lease " + parts[3] +
                                                      " before reporting");
      report.root = manifest.root;
      report.manifest_json = to_json(manifest).dump();
    }
    controller_.complete(user, lease, report);
    return ok({{"lease_id", lease}, {"accepted", true}});
  }

  if (res == "artifacts" && n == 4) {
    if (m == "PUT") {
      auto purpose = req.query.find("purpose");
      if (purpose != req.query.end() && purpose->second == "bundle") {
        // A requester's job bundle, before the job that names it is submitted.
        require(user.role != "worker", "workers upload outputs, not bundles");
        if (req.body.size() > controller_.max_bundle())
          throw ApiError(413, "bundle_too_large",
                         "the bundle is " + std::to_string(req.body.size()) + " bytes; og-schedd takes at most " +
                             std::to_string(controller_.max_bundle()) + " (--max-bundle)");
        controller_.admit_bundle(user, parts[3], req.body.size(), [&](const std::string& sha) { bundles_.remove(sha); });
        bundles_.put(parts[3], req.body);
        controller_.add_bundle_owner(user, parts[3], req.body.size());  // only its uploader may name it in a job
        // Given up by a collection between the put and the record (the same bytes, another
        // uploader): written again, now that an owner keeps it.
        if (!bundles_.contains(parts[3])) bundles_.put(parts[3], req.body);
        return json_response(201, json{{"sha256", parts[3]}}.dump() + "\n");
      }
      require(user.role == "worker" || user.role == "admin", "only workers upload outputs; bundles say ?purpose=bundle");
      if (purpose != req.query.end() && purpose->second == "checkpoint") {
        // A job's verified checkpoint, asked for by og-schedd: only that digest, from a
        // holder of one of the job's leases; not charged to the outputs.
        auto lease = req.query.find("lease");
        if (lease == req.query.end()) throw ApiError(400, "missing_field", "name the lease (?lease=ID)");
        if (!controller_.is_lease_checkpoint(user, parse_id(lease->second, "lease id"), parts[3]))
          throw ApiError(409, "not_the_checkpoint", parts[3] + " is not the verified checkpoint of that lease's job");
        if (req.body.size() > kMaxCheckpointBytes)
          throw ApiError(413, "checkpoint_too_large", "og-schedd keeps checkpoints of at most 64 MiB");
        artifacts_.put(parts[3], req.body);  // refused unless it hashes to the digest
        controller_.checkpoint_uploaded(user, parse_id(lease->second, "lease id"), parts[3]);
        return json_response(201, json{{"sha256", parts[3]}}.dump() + "\n");
      }
      // Every upload names the lease it is an output of; what it adds to the store counts
      // against that lease's limit (a blob already stored, e.g. on a retry, adds nothing).
      auto lease = req.query.find("lease");
      if (lease == req.query.end()) require(user.role == "admin", "name the lease the upload belongs to (?lease=ID)");
      else controller_.charge_upload(user, parse_id(lease->second, "lease id"),
                                     artifacts_.contains(parts[3]) ? 0 : req.body.size());
      artifacts_.put(parts[3], req.body);  // refused unless the bytes hash to the digest
      if (lease != req.query.end()) controller_.record_upload(user, parse_id(lease->second, "lease id"), parts[3]);
      return json_response(201, json{{"sha256", parts[3]}}.dump() + "\n");
    }
    if (m == "HEAD" || m == "GET") {
      // Existence is told only to whom may read the blob: an admin, or the worker holding
      // a lease of the job that uploaded it (?lease=ID). Others learn nothing by probing.
      require(user.role == "worker" || user.role == "admin", "use /og/v1/jobs/ID/files/PATH");
      bool may = user.role == "admin";
      if (auto lease = req.query.find("lease"); !may && lease != req.query.end()) {
        try {
          may = controller_.lease_may_name(user, parse_id(lease->second, "lease id"), parts[3]);
        } catch (const ApiError&) {  // not its lease: it learns nothing either
        }
      }
      return HttpResponse{may && artifacts_.contains(parts[3]) ? 200 : 404, "application/json", "", {}};
    }
    throw method_not_allowed();
  }

  if (res == "wallet") {
    auto wallet_json = [](const WalletView& w) {
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
    };
    auto amount_of = [](const json& body) {
      try {
        return parse_money_micros(field<std::string>(body, "amount", ""));
      } catch (const UsageError& e) {
        throw ApiError(400, "invalid_amount", std::string("\"amount\": ") + e.what());
      }
    };
    auto query = [&](const char* key) {
      auto it = req.query.find(key);
      return it == req.query.end() ? std::string() : it->second;
    };
    if (n == 3 && m == "GET") return ok(wallet_json(controller_.wallet(user, query("user"))));
    if (n == 4 && m == "POST" && parts[3] == "deposit") {
      json body = parse_body(req.body);
      only_fields(body, {"amount", "user", "request_id"});
      return ok(wallet_json(controller_.deposit(user, field<std::string>(body, "user", ""), amount_of(body),
                                                field<std::string>(body, "request_id", ""))));
    }
    if (n == 4 && m == "POST" && parts[3] == "withdraw") {
      json body = parse_body(req.body);
      only_fields(body, {"amount", "request_id"});
      return ok(wallet_json(controller_.withdraw(user, amount_of(body), field<std::string>(body, "request_id", ""))));
    }
    if (n == 4 && m == "POST" && parts[3] == "unbond") return ok(wallet_json(controller_.unbond(user)));
    // EVM ledger: what to sign to link a chain address, and the signed link.
    if (n == 4 && m == "GET" && parts[3] == "chain-link")
      return ok({{"message", controller_.chain_link_message(user, query("address"))}});
    if (n == 4 && m == "POST" && parts[3] == "chain-link") {
      json body = parse_body(req.body);
      only_fields(body, {"address", "signature"});
      return ok(wallet_json(controller_.link_chain_address(user, field<std::string>(body, "address", ""),
                                                           field<std::string>(body, "signature", ""))));
    }
    if (n == 4 && m == "GET" && parts[3] == "history") {
      size_t limit = 100;
      if (auto l = query("limit"); !l.empty()) limit = static_cast<size_t>(std::clamp<uint64_t>(parse_id(l, "limit"), 1, 10'000));
      json entries = json::array();
      for (const auto& e : controller_.wallet_history(user, query("user"), limit))
        entries.push_back({{"seq", e.seq},
                           {"time", e.at_us / 1'000'000},
                           {"from", e.transfer.from},
                           {"to", e.transfer.to},
                           {"amount", format_money(e.transfer.amount)},
                           {"memo", e.transfer.memo},
                           {"key", e.transfer.key}});
      return ok({{"entries", entries}});
    }
    throw method_not_allowed();
  }

  if (res == "users" && n == 5 && parts[4] == "key") {
    // /og/v1/users/NAME/key: "me" for oneself; anyone may read a key, only its owner set it.
    std::string name = parts[3] == "me" ? user.name : parts[3];
    if (m == "GET") return ok({{"user", name}, {"public_key", controller_.public_key(name)}});
    if (m == "PUT") {
      if (name != user.name) throw ApiError(403, "forbidden", "a user sets only its own key");
      json body = parse_body(req.body);
      only_fields(body, {"public_key"});
      controller_.set_public_key(user, field<std::string>(body, "public_key", ""));
      return ok({{"user", name}, {"public_key", controller_.public_key(name)}});
    }
    throw method_not_allowed();
  }

  if (res == "users" && n == 3 && m == "POST") {
    require(user.role == "admin", "only admins add users");
    json body = parse_body(req.body);
    only_fields(body, {"name", "role"});
    std::string name = field<std::string>(body, "name", "");
    std::string token = controller_.add_user(name, field<std::string>(body, "role", "user"));
    return json_response(201, json{{"name", name}, {"token", token}}.dump() + "\n");
  }

  throw ApiError(404, "not_found", "no such endpoint " + m + " " + req.path);
}

}  // namespace og
