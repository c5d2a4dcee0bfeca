#include "scheduler/request_bodies.hpp"

#include <charconv>

#include "core/money.hpp"

#include <algorithm>

#include "core/job_spec.hpp"
#include "core/job_state.hpp"
#include "core/oci_reference.hpp"
#include "core/sha256.hpp"
#include "scheduler/gpu_offer.hpp"
#include "core/strings.hpp"

namespace og {

using json = nlohmann::json;

json parse_body(const std::string& text) {
  if (text.empty()) return json::object();
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw ApiError(Refusal::Invalid, "malformed_json", "request body is not valid JSON");
  if (!j.is_object()) throw ApiError(Refusal::Invalid, "malformed_json", "request body must be a JSON object");
  return j;
}

void only_fields(const json& body, std::initializer_list<const char*> allowed) {
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
      throw ApiError(Refusal::Invalid, "unknown_field", "unknown field \"" + key + "\" in request body");
  }
}

Partition decode_partition_offer(const std::string& name, const json& body) {
  only_fields(body, {"nodes", "cpus", "memory_mb", "gpus", "gpu_type", "price_micros", "gpu_price_micros", "operator",
                     "features", "isolation", "egress", "registries", "gpu_devices", "cuda_version", "driver_version",
                     "gpu_prices", "validator"});
  if (!is_plain_name(name))
    throw ApiError(Refusal::Invalid, "invalid_name", "partition names are 1-64 letters, digits, '_', '.' or '-'");
  Partition p;
  p.name = name;
  p.nodes = field<uint32_t>(body, "nodes", 1);
  if (p.nodes == 0) throw ApiError(Refusal::Invalid, "invalid_field", "a partition has at least one node");
  p.cpus = field<uint32_t>(body, "cpus", 0);
  p.memory_mb = field<uint64_t>(body, "memory_mb", 0);
  p.gpus = field<uint32_t>(body, "gpus", 0);
  p.gpu_type = field<std::string>(body, "gpu_type", "");
  p.price_micros = field<int64_t>(body, "price_micros", 0);
  p.gpu_price_micros = field<int64_t>(body, "gpu_price_micros", 0);
  p.operator_name = field<std::string>(body, "operator", "");
  p.features = field<std::vector<std::string>>(body, "features", {});
  p.isolation = field<std::string>(body, "isolation", "none");
  p.egress = field<bool>(body, "egress", false);
  p.validator = field<bool>(body, "validator", false);
  p.registries = field<std::vector<std::string>>(body, "registries", {});
  if (p.registries.size() > 32) throw ApiError(Refusal::Invalid, "invalid_field", "at most 32 registries");
  for (const auto& r : p.registries)
    if (!is_plain_name(r, ":[]"))
      throw ApiError(Refusal::Invalid, "invalid_field", "registry \"" + r + "\" must be HOST[:PORT]");
  if (p.isolation.empty() || isolation_rank(p.isolation) < 0)
    throw ApiError(Refusal::Invalid, "invalid_field", "isolation must be jail, rlimit or none");
  if (!p.operator_name.empty() && !is_plain_name(p.operator_name, "@"))
    throw ApiError(Refusal::Invalid, "invalid_field", "operator must be up to 64 letters, digits, '_', '.', '-' or '@'");
  for (const auto& f : p.features)
    if (!is_plain_name(f))
      throw ApiError(Refusal::Invalid, "invalid_field", "feature \"" + f + "\" must be 1-64 letters, digits, '_', '.' or '-'");
  if (p.cpus == 0) throw ApiError(Refusal::Invalid, "invalid_field", "a partition needs at least one CPU");
  read_gpu_offer(body, p);
  if (!p.gpu->gpu_devices.empty() && p.gpu->gpu_devices.size() != p.gpus)
    throw ApiError(Refusal::Invalid, "invalid_field", "gpus must count the GPUs gpu_devices lists");
  if (!p.gpu->gpu_devices.empty()) p.gpu_type = p.gpu->gpu_devices.front().model;
  if (p.price_micros < 0 || p.gpu_price_micros < 0 || p.price_micros > kMaxAmountMicros ||
      p.gpu_price_micros > kMaxAmountMicros)
    throw ApiError(Refusal::Invalid, "invalid_field", "price_micros and gpu_price_micros must be from 0 to " +
                                             std::to_string(kMaxAmountMicros) + " (the ceiling on any amount)");
  return p;
}

PollRequest decode_poll(const json& body) {
  only_fields(body, {"running", "wait_ms", "instance", "cached"});
  PollRequest poll;
  for (auto id : field<std::vector<uint64_t>>(body, "running", {})) poll.running.insert(id);
  poll.wait_ms = std::clamp<int64_t>(field<int64_t>(body, "wait_ms", 0), 0, 3'600'000);
  poll.instance = field<uint64_t>(body, "instance", 0);
  if (body.contains("cached")) {
    std::set<std::string> cached;
    for (const auto& d : field<std::vector<std::string>>(body, "cached", {}))
      if (is_sha256_digest(d) && cached.size() < 1024) cached.insert(d);
    poll.cached = std::move(cached);
  }
  return poll;
}

MilestoneReport decode_milestone(const json& body) {
  only_fields(body, {"index", "digest"});
  MilestoneReport m{field<uint32_t>(body, "index", 0), field<std::string>(body, "digest", "")};
  if (m.index == 0 || !is_sha256_hex(m.digest))
    throw ApiError(Refusal::Invalid, "invalid_field", "a milestone needs an \"index\" of 1 or more and a SHA-256 \"digest\"");
  return m;
}

CompletionBody decode_completion(const json& body) {
  only_fields(body, {"outcome", "exit_code", "manifest", "reason", "handback_reason", "pull_ms", "scores"});
  CompletionBody c;
  CompletionReport& r = c.report;
  auto outcome = outcome_from_string(field<std::string>(body, "outcome", ""));
  if (!outcome)
    throw ApiError(Refusal::Invalid, "invalid_field",
                   "outcome must be COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY, CANCELLED or HANDED_BACK");
  r.outcome = *outcome;
  r.reason = field<std::string>(body, "reason", "");
  if (!r.reason.empty() && (r.outcome != Outcome::Failed || (r.reason != reason::kBadSignature &&
                                                              r.reason != reason::kBadBundle && r.reason != reason::kBadImage &&
                                                              r.reason != reason::kDiskQuota)))
    throw ApiError(Refusal::Invalid, "invalid_field",
                   "reason must be BadSignature, BadBundle, BadImage or DiskQuota, with outcome FAILED");
  r.pull_ms = std::min<uint64_t>(field<uint64_t>(body, "pull_ms", 0), 7ull * 24 * 3600 * 1000);
  r.handback_reason = printable(field<std::string>(body, "handback_reason", ""));
  if (r.handback_reason.size() > 200 || (!r.handback_reason.empty() && r.outcome != Outcome::HandedBack))
    throw ApiError(Refusal::Invalid, "invalid_field", "handback_reason goes with outcome HANDED_BACK, in at most 200 characters");
  r.exit_code = field<int>(body, "exit_code", 0);
  if (body.contains("scores")) {
    // A validation task's answer: {"LEASE": {"score": S, "root": ROOT}, ...}, S in [0, 1].
    const json& given = body.at("scores");
    if (!given.is_object() || given.size() > 64)
      throw ApiError(Refusal::Invalid, "invalid_field", "scores must be an object of at most 64 leases");
    auto& scores = r.scores.emplace();
    for (const auto& [lease, entry] : given.items()) {
      uint64_t id = 0;
      auto [end, ec] = std::from_chars(lease.data(), lease.data() + lease.size(), id);
      double score = entry.is_object() ? entry.value("score", -1.0) : -1.0;
      std::string root = entry.is_object() ? entry.value("root", std::string()) : std::string();
      if (ec != std::errc() || end != lease.data() + lease.size() || !(score >= 0 && score <= 1) || !is_sha256_hex(root))
        throw ApiError(Refusal::Invalid, "invalid_field",
                       "scores[\"" + printable(lease) + "\"] must be {\"score\": 0..1, \"root\": SHA-256} for a lease id");
      scores[id] = {score, root};
    }
  }
  if (has_outputs(r.outcome)) {
    if (!body.contains("manifest")) throw ApiError(Refusal::Invalid, "missing_field", "a completion needs a \"manifest\"");
    c.manifest = manifest_from_json(body.at("manifest"));
  } else if (r.outcome == Outcome::Cancelled && body.contains("manifest")) {
    c.manifest = manifest_from_json(body.at("manifest"));  // what it wrote until stopped
  }
  return c;
}

JobUpdate decode_job_update(const json& body) {
  only_fields(body, {"time_limit_s", "nice", "partition", "max_price"});
  JobUpdate update;
  if (body.contains("max_price")) {
    try {
      update.max_price_micros = parse_money_micros(field<std::string>(body, "max_price", ""));
    } catch (const UsageError& e) {
      throw ApiError(Refusal::Invalid, "invalid_field", std::string("\"max_price\": ") + e.what());
    }
  }
  if (body.contains("partition")) update.partition = field<std::string>(body, "partition", std::string());
  if (body.contains("time_limit_s")) update.time_limit_s = field<int64_t>(body, "time_limit_s", 0);
  if (body.contains("nice")) {
    int64_t nice = field<int64_t>(body, "nice", 0);
    if (nice < -2147483645 || nice > 2147483645) throw ApiError(Refusal::Invalid, "invalid_field", "nice must be within ±2147483645");
    update.nice = static_cast<int32_t>(nice);
  }
  return update;
}

}  // namespace og
