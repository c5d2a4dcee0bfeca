// The API's provider routes (the table is in api.cpp): partitions offered and drained,
// the long poll that is a worker's heartbeat, what a lease holder may fetch, its
// milestones and completion, and content-addressed uploads (outputs, bundles, checkpoints).
#include <nlohmann/json.hpp>

#include "core/checkpoints.hpp"
#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/time_util.hpp"
#include "scheduler/api.hpp"
#include "scheduler/api_support.hpp"
#include "scheduler/json_views.hpp"
#include "scheduler/request_bodies.hpp"
#include "verify/manifest.hpp"

namespace og {

using namespace api;
using json = nlohmann::json;

HttpResponse Api::list_partitions(const Call&) {
  json arr = json::array();
  int64_t now = monotonic_us();
  for (const auto& p : services_.queries.partitions()) arr.push_back(partition_json(p, now));
  return ok({{"partitions", arr}});
}

HttpResponse Api::offer_partition(const Call& c) {
  Partition p = decode_partition_offer(c.params.at(0), parse_body(c.req.body));
  return ok({{"partitions", json::array({partition_json(services_.leases.register_partition(c.user, p), monotonic_us())})}});
}

HttpResponse Api::drain_partition(const Call& c) {
  bool drain = c.action() == "drain";
  return ok({{"partitions", json::array({partition_json(services_.leases.set_drain(c.user, c.params.at(0), drain), monotonic_us())})}});
}

HttpResponse Api::poll(const Call& c) {
  PollRequest poll = decode_poll(parse_body(c.req.body));
  if (poll.cached) services_.leases.note_cached(c.user, c.params.at(0), std::move(*poll.cached));
  auto result = services_.leases.poll(c.user, c.params.at(0), poll.instance, poll.running, poll.wait_ms * 1000);
  json leases = json::array();
  for (const auto& l : result.leases) leases.push_back(lease_json(l));
  return ok({{"leases", leases}, {"cancel", result.cancel}, {"max_wait_ms", services_.leases.max_poll_wait_us() / 1000}});
}

HttpResponse Api::lease_input(const Call& c) {
  // What only the worker holding the lease may have: the job's files, its secrets and the
  // verified checkpoint it resumes from.
  c.require(c.user.role == "worker", "only the worker holding a lease fetches its bundle and secrets");
  uint64_t lease = c.id(0, "lease id");
  if (c.action() == "secrets") {
    json secrets = json::object();
    for (const auto& [name, value] : services_.lease_files.lease_secrets(c.user, lease)) secrets[name] = to_hex(value);
    return ok({{"secrets", secrets}});
  }
  if (c.action() == "data") {
    // An earlier job's accepted result the lease's job reads (--data NAME=job:ID): its
    // manifest, or one of its files by path.
    std::string name = c.query("name"), manifest = services_.lease_files.lease_data_manifest(c.user, lease, name);
    if (c.query("path").empty()) return HttpResponse{200, "application/json", manifest, {}};
    return output_file(manifest, c.query("path"), "the result read as " + name);
  }
  if (c.action() == "checkpoint") {
    std::string digest = services_.lease_files.lease_checkpoint(c.user, lease);
    auto data = digest.empty() ? std::nullopt : artifacts_.get(digest);
    if (!data) throw ApiError(Refusal::NotFound, "no_checkpoint", "og-schedd holds no verified checkpoint for lease " + c.params[0]);
    return HttpResponse{200, "application/octet-stream", std::move(*data), {}};
  }
  std::string digest = services_.lease_files.lease_bundle(c.user, lease);
  if (digest.empty()) throw ApiError(Refusal::NotFound, "no_bundle", "the job of lease " + c.params[0] + " has no bundle");
  auto data = bundles_.get(digest);
  if (!data) throw ApiError(Refusal::NotFound, "bundle_missing", "og-schedd no longer has bundle " + digest);
  return HttpResponse{200, "application/octet-stream", std::move(*data), {}};
}

HttpResponse Api::milestone(const Call& c) {
  c.require(c.user.role == "worker" || c.user.role == "admin", "only workers report on leases");
  uint64_t lease = c.id(0, "lease id");
  auto [index, digest] = decode_milestone(parse_body(c.req.body));
  bool checkpoint = services_.leases.milestone(c.user, lease, index, digest);
  // The job's verified checkpoint, which og-schedd keeps for replicas that replace lost
  // ones: ask this replica for its content unless another sent it already (asked whether
  // or not the blob is stored: its existence is not told).
  return ok({{"lease_id", lease}, {"milestone", index},
             {"checkpoint_wanted", checkpoint && !services_.lease_files.checkpoint_held(c.user, lease)}});
}

HttpResponse Api::complete(const Call& c) {
  c.require(c.user.role == "worker" || c.user.role == "admin", "only workers report on leases");
  uint64_t lease = c.id(0, "lease id");
  auto [report, decoded] = decode_completion(parse_body(c.req.body));
  if (decoded) {
    Manifest& manifest = *decoded;
    uint64_t total = 0;
    for (const auto& f : manifest.files) total += f.size;
    if (total > services_.lease_files.max_job_output()) {
      // More than og-schedd keeps for one replica: the run cannot be verified, so it
      // fails visibly (as when an upload is refused) rather than being retried; a
      // cancelled one stays cancelled, without its files.
      if (report.outcome != Outcome::Cancelled) {
        report.outcome = Outcome::Failed;
        report.exit_code = 1;
      }
      manifest = Manifest{{}, merkle_root({})};
    }
    // Only outputs this lease uploaded: naming another lease's blob by its hash must not
    // pass it off as this replica's result.
    for (const auto& f : manifest.files)
      if (f.size > 0 && !(artifacts_.contains(f.sha256) && services_.lease_files.lease_may_name(c.user, lease, f.sha256)))
        throw ApiError(Refusal::Conflict, "artifact_missing",
                       "upload " + f.path + " (" + f.sha256 + ") for lease " + c.params[0] + " before reporting");
    report.root = manifest.root;
    report.manifest_json = to_json(manifest).dump();
  }
  services_.leases.complete(c.user, lease, report);
  live_output_.close(lease);  // its files are in the report now
  return ok({{"lease_id", lease}, {"accepted", true}});
}

HttpResponse Api::lease_output(const Call& c) {
  // What a running job wrote lately, from the worker holding its lease (og-tail follows it).
  c.require(c.user.role == "worker" || c.user.role == "admin", "only workers stream a lease's output");
  uint64_t lease = c.id(0, "lease id");
  std::string stream = c.query("stream");
  if (stream != "out" && stream != "err")
    throw ApiError(Refusal::Invalid, "invalid_stream", "stream is out (the --output file) or err (the --error file)");
  if (c.req.body.size() > LiveOutput::kWindowBytes)
    throw ApiError(Refusal::TooLarge, "chunk_too_large", "send at most 256 KiB of output at a time");
  uint64_t offset = parse_count(c.query("offset"), "offset");
  if (offset > LiveOutput::kMaxOffset)
    throw ApiError(Refusal::Invalid, "invalid_offset", "offset is past any file og-schedd follows (2^50 bytes)");
  services_.lease_files.check_holder(c.user, lease);
  live_output_.append(lease, c.user.name, stream, offset, c.req.body);
  return ok({{"lease_id", lease}});
}

HttpResponse Api::put_artifact(const Call& c) {
  const std::string& sha = c.params.at(0);
  const std::string purpose = c.query("purpose");
  const std::string& body = c.req.body;
  if (purpose == "bundle") {
    // A requester's job bundle, before the job that names it is submitted.
    c.require(c.user.role != "worker", "workers upload outputs, not bundles");
    if (body.size() > services_.submissions.max_bundle())
      throw ApiError(Refusal::TooLarge, "bundle_too_large",
                     "the bundle is " + std::to_string(body.size()) + " bytes; og-schedd takes at most " +
                         std::to_string(services_.submissions.max_bundle()) + " (--max-bundle)");
    services_.submissions.admit_bundle(c.user, sha, body.size(), [&](const std::string& gone) { bundles_.remove(gone); });
    bundles_.put(sha, body);
    services_.submissions.add_bundle_owner(c.user, sha, body.size());  // only its uploader may name it in a job
    // Given up by a collection between the put and the record (the same bytes, another
    // uploader): written again, now that an owner keeps it.
    if (!bundles_.contains(sha)) bundles_.put(sha, body);
    return created({{"sha256", sha}});
  }
  c.require(c.user.role == "worker" || c.user.role == "admin", "only workers upload outputs; bundles say ?purpose=bundle");
  const std::string lease = c.query("lease");
  if (purpose == "checkpoint") {
    // A job's verified checkpoint, asked for by og-schedd: only that digest, from a holder
    // of one of the job's leases; not charged to the outputs.
    if (lease.empty()) throw ApiError(Refusal::Invalid, "missing_field", "name the lease (?lease=ID)");
    if (!services_.lease_files.is_lease_checkpoint(c.user, parse_id(lease, "lease id"), sha))
      throw ApiError(Refusal::Conflict, "not_the_checkpoint", sha + " is not the verified checkpoint of that lease's job");
    if (body.size() > kMaxCheckpointBytes)
      throw ApiError(Refusal::TooLarge, "checkpoint_too_large", "og-schedd keeps checkpoints of at most 64 MiB");
    artifacts_.put(sha, body);  // refused unless it hashes to the digest
    services_.lease_files.checkpoint_uploaded(c.user, parse_id(lease, "lease id"), sha);
    return created({{"sha256", sha}});
  }
  // Every upload names the lease it is an output of; what it adds to the store counts
  // against that lease's limit (a blob already stored, e.g. on a retry, adds nothing).
  if (lease.empty()) c.require(c.user.role == "admin", "name the lease the upload belongs to (?lease=ID)");
  else services_.lease_files.charge_upload(c.user, parse_id(lease, "lease id"), artifacts_.contains(sha) ? 0 : body.size());
  artifacts_.put(sha, body);  // refused unless the bytes hash to the digest
  if (!lease.empty()) services_.lease_files.record_upload(c.user, parse_id(lease, "lease id"), sha);
  return created({{"sha256", sha}});
}

HttpResponse Api::probe_artifact(const Call& c) {
  // Existence is told only to whom may read the blob: an admin, or the worker holding a
  // lease of the job that uploaded it (?lease=ID). Others learn nothing by probing.
  c.require(c.user.role == "worker" || c.user.role == "admin", "use /og/v1/jobs/ID/files/PATH");
  bool may = c.user.role == "admin";
  if (auto lease = c.query("lease"); !may && !lease.empty()) {
    try {
      may = services_.lease_files.lease_may_name(c.user, parse_id(lease, "lease id"), c.params.at(0));
    } catch (const ApiError&) {  // not its lease: it learns nothing either
    }
  }
  return HttpResponse{may && artifacts_.contains(c.params.at(0)) ? 200 : 404, "application/json", "", {}};
}

}  // namespace og
