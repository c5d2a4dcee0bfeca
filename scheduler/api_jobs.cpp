// The API's job routes (the table is in api.cpp): submission, listing, one job and what
// its owner does to it, its history, its result and files; priorities and accounting.
#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "core/bundle.hpp"
#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/job_signature.hpp"
#include "core/strings.hpp"
#include "jobscripts/directives.hpp"
#include "scheduler/api.hpp"
#include "scheduler/api_support.hpp"
#include "scheduler/json_views.hpp"
#include "scheduler/request_bodies.hpp"
#include "core/verify_mode.hpp"
#include "verify/manifest.hpp"

namespace og {

using namespace api;
using json = nlohmann::json;

HttpResponse Api::submit_job(const Call& c) {
  c.require(c.user.role != "worker", "workers cannot submit jobs");
  json body = parse_body(c.req.body);
  only_fields(body, {"job", "test_only", "secrets"});
  if (!body.contains("job")) throw ApiError(Refusal::Invalid, "missing_field", "request needs a \"job\" object");
  JobSpec spec = job_spec_from_json(body["job"]);
  Secrets secrets;
  for (const auto& [name, hex] : field<std::map<std::string, std::string>>(body, "secrets", {})) {
    auto value = from_hex(hex);
    if (!value || value->size() > 64 * 1024)
      throw ApiError(Refusal::Invalid, "invalid_field", "secret \"" + name + "\" must be hex of at most 64 KiB");
    secrets[name] = std::move(*value);
  }
  if (!spec.bundle_sha256.empty() && !bundles_.contains(spec.bundle_sha256))
    throw ApiError(Refusal::Invalid, "bundle_missing",
                   "upload the job's bundle first (PUT /og/v1/artifacts/" + spec.bundle_sha256 + "?purpose=bundle)");
  check_score_script(spec);
  if (field<bool>(body, "test_only", false)) {
    auto result = services_.submissions.test_only(c.user, std::move(spec));
    json answer = {{"job_id", 0}, {"would_start", !result.partitions.empty()},
                   {"partitions", result.partitions}, {"reason", result.reason}};
    if (!result.why.empty()) answer["why"] = result.why;
    if (result.estimate) answer["expected"] = estimate_json(*result.estimate);
    return ok(answer);
  }
  auto ids = services_.submissions.submit(c.user, std::move(spec), secrets);
  return created({{"job_id", ids.front()}, {"job_ids", ids}});
}

void Api::check_score_script(const JobSpec& spec) {
  // --verify=score:SCRIPT: validators run SCRIPT from the job's own signed files, so it
  // must be among them (refused now, not when every replica has run).
  auto mode = parse_verify_mode(spec.verify);
  if (!mode || mode->kind != VerifyMode::Kind::Score) return;
  auto bundle = spec.bundle_sha256.empty() ? std::nullopt : bundles_.get(spec.bundle_sha256);
  bool found = false;
  try {
    found = bundle && bundle_file_digests(*bundle, {UINT64_MAX, UINT32_MAX}).count(mode->score_script) > 0;
  } catch (const BundleError&) {
  }
  if (!found)
    throw ApiError(Refusal::Invalid, "invalid_verify",
                   "--verify=score:" + mode->score_script + ": the job's files hold no " + mode->score_script +
                       "; the scoring script ships with the job: give its directory with --input (e.g. #OG --input=" +
                       mode->score_script.substr(0, mode->score_script.find('/')) +
                       ") and name it relative to the submit directory");
}

// A provider's worker credential sees only the jobs its partitions ran: the rest of the
// mesh's jobs, their users and names, are not its business.
std::vector<JobView> Api::visible_to(const User& user, std::vector<JobView> views) {
  if (user.role != "worker") return views;
  std::set<std::string> mine;
  for (const auto& p : services_.queries.partitions())
    if (p.owner == user.name) mine.insert(p.name);
  std::erase_if(views, [&](const JobView& v) {
    for (const auto& node : split_list(v.nodelist))
      if (mine.count(node)) return false;
    return true;
  });
  return views;
}

HttpResponse Api::list_jobs(const Call& c) {
  std::map<uint64_t, StartEstimate> estimates;
  if (c.query("start") == "1") estimates = services_.queries.expected_starts();  // og-squeue --start
  JobFilter filter = filter_from_query(c.req);
  auto listing = services_.queries.list_jobs(filter);
  listing.jobs = visible_to(c.user, std::move(listing.jobs));
  // ?newest=N: the N most recent matches, and how many matched in all.
  return jobs_listing(listing.jobs, estimates, filter.newest > 0 ? std::optional(listing.matched) : std::nullopt);
}

HttpResponse Api::parse_script(const Call& c) {
  // The dashboard's submit form: og-sbatch's directive parser on a script's text, and
  // the exact bytes the requester signs for it (the page signs with its key).
  json body = parse_body(c.req.body);
  only_fields(body, {"script", "script_name", "args", "signer"});
  auto name = field<std::string>(body, "script_name", "dashboard.sh");
  if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos)
    throw ApiError(Refusal::Invalid, "invalid_field", "script_name must be a file name of 1-255 characters without '/'");
  jobscripts::ParsedJob parsed;
  try {
    parsed = jobscripts::parse_job(field<std::string>(body, "script", ""), name, {});
  } catch (const UsageError& e) {
    throw ApiError(Refusal::Invalid, "invalid_script", e.what());
  }
  if (!parsed.flags.inputs.empty() || !parsed.flags.bundle_dir.empty() || !parsed.flags.secrets.empty())
    throw ApiError(Refusal::Invalid, "invalid_script",
                   "the script asks for files or secrets from the submitting machine (--input, --bundle, "
                   "--secret): submit it with og-sbatch, which packs and signs them");
  parsed.spec.script_args = field<std::vector<std::string>>(body, "args", {});
  // The signature covers the signer's public key too.
  parsed.spec.signer = field<std::string>(body, "signer", "");
  if (!parsed.spec.signer.empty() && (parsed.spec.signer.size() != 64 || !from_hex(parsed.spec.signer)))
    throw ApiError(Refusal::Invalid, "invalid_field", "signer must be an Ed25519 public key: 64 hex digits");
  return ok({{"job", to_json(parsed.spec)},
             {"signing_payload_hex", to_hex(job_signing_payload(c.user.name, parsed.spec))},
             {"warnings", parsed.warnings}});
}

HttpResponse Api::show_job(const Call& c) {
  uint64_t id = c.id(0, "job id");
  auto detail = services_.queries.get_job(id);
  if (!detail || visible_to(c.user, {detail->view}).empty()) throw job_not_found(id);
  json j = job_json(detail->view);
  json reps = json::array(), validations = json::array();
  // Output manifests (names, sizes, digests) are the owner's to see.
  bool owner = c.user.role == "admin" || c.user.name == detail->view.job.user;
  for (const auto& r : detail->replicas) (r.validates ? validations : reps).push_back(replica_json(r, owner));
  j["replica_leases"] = reps;
  // --verify=score: who scored its replicas, and how; its owner's to see (a replica's
  // provider learns nothing of the verdict before it is made).
  if (owner) j["validations"] = validations;
  return ok({{"jobs", json::array({j})}});
}

HttpResponse Api::cancel_job(const Call& c) { return ok(jobs_json({services_.submissions.cancel_job(c.user, c.id(0, "job id"))})); }

HttpResponse Api::job_action(const Call& c) {
  uint64_t id = c.id(0, "job id");
  const std::string action = c.action();
  if (action == "dispute") return created({{"job_id", services_.submissions.dispute(c.user, id)}, {"disputed", id}});
  if (action == "requeue") return ok(jobs_json({services_.submissions.requeue_job(c.user, id)}));
  if (action == "update") return ok(jobs_json({services_.submissions.update_job(c.user, id, decode_job_update(parse_body(c.req.body)))}));
  return ok(jobs_json({services_.submissions.set_hold(c.user, id, action == "hold")}));
}

HttpResponse Api::wait_job(const Call& c) {
  // Long poll for og-sbatch --wait: answers when the job has finished, or (?since=STATE)
  // is no longer in that state, or after timeout_ms.
  int64_t timeout_ms = 30000;
  if (auto t = c.query("timeout_ms"); !t.empty())
    timeout_ms = std::min<int64_t>(static_cast<int64_t>(parse_id(t, "timeout_ms")), 60000);
  uint64_t id = c.id(0, "job id");
  if (c.user.role == "worker") {  // only a job it ran (a pending one it never sees)
    auto detail = services_.queries.get_job(id);
    if (!detail || visible_to(c.user, {detail->view}).empty()) throw job_not_found(id);
  }
  return ok(jobs_json({services_.queries.wait_job(id, timeout_ms * 1000, c.query("since"))}));
}

HttpResponse Api::job_events(const Call& c) {
  // The job's history, as Flux's `flux job eventlog`: its owner's or an admin's to read.
  uint64_t id = c.id(0, "job id");
  json events = json::array();
  for (const auto& e : services_.queries.job_events(c.user, id)) events.push_back(to_json(e));
  return ok({{"job_id", id}, {"events", events}});
}

HttpResponse Api::job_result(const Call& c) {
  uint64_t id = c.id(0, "job id");
  json result = json::parse(services_.queries.canonical_manifest(c.user, id));  // its owner's only
  // What the job was given: fetching brings back only what it created or changed.
  json inputs = json::object();
  auto job = services_.queries.get_job(id);
  const std::string digest = job ? job->view.job.spec.bundle_sha256 : "";
  if (auto bundle = digest.empty() ? std::nullopt : bundles_.get(digest)) {
    try {
      for (const auto& [path, sha256] : bundle_file_digests(*bundle, {UINT64_MAX, UINT32_MAX})) inputs[path] = sha256;
    } catch (const BundleError&) {
      // Accepted at submission, so readable; if not, every file is simply fetched.
    }
  }
  result["inputs"] = std::move(inputs);
  return ok(result);
}

HttpResponse Api::job_file(const Call& c) {
  // A file of the job's accepted result, by its path in the manifest.
  return output_file(services_.queries.canonical_manifest(c.user, c.id(0, "job id")), c.params.at(1),
                     "job " + c.params[0]);
}

HttpResponse Api::replica_result(const Call& c) {
  // One provider's outputs, as it reported them: for a job without an accepted result.
  json manifest = json::parse(services_.queries.replica_manifest(c.user, c.id(0, "job id"), c.id(1, "lease id")));
  manifest["unverified"] = true;
  return ok(manifest);
}

HttpResponse Api::replica_file(const Call& c) {
  return output_file(services_.queries.replica_manifest(c.user, c.id(0, "job id"), c.id(1, "lease id")),
                     c.params.at(2), "lease " + c.params[1] + " of job " + c.params[0]);
}

HttpResponse Api::job_output(const Call& c) {
  // The job's output (?stream=out) or error (?stream=err) file from ?offset= on, or its last
  // ?last= bytes: what the worker streamed while the replica runs (waiting up to ?wait_ms=
  // for more), the reported file once it has ended. ?lease= keeps a reader on the replica it
  // follows. Headers say where the bytes lie and whether more can come (OG-Output-Done).
  constexpr size_t kMaxSlice = 256 * 1024;
  uint64_t job_id = c.id(0, "job id");
  std::string stream = c.query("stream").empty() ? "out" : c.query("stream");
  if (stream != "out" && stream != "err")
    throw ApiError(Refusal::Invalid, "invalid_stream", "stream is out (the --output file) or err (the --error file)");
  uint64_t offset = parse_count(c.query("offset"), "offset");
  std::optional<uint64_t> last;
  if (!c.query("last").empty()) last = parse_count(c.query("last"), "last");
  auto wait = std::chrono::milliseconds(std::min<uint64_t>(parse_count(c.query("wait_ms"), "wait_ms"), 25000));
  auto replica = std::min<uint64_t>(parse_count(c.query("replica"), "replica"), UINT32_MAX);
  OutputSource source = services_.queries.output_source(c.user, job_id, static_cast<uint32_t>(replica),
                                                        parse_count(c.query("lease"), "lease"));
  bool merged = source.err == source.out;  // --error not given: one file, streamed as "out"
  const std::string& path = stream == "err" ? source.err : source.out;
  uint64_t start = offset, end = offset;
  std::string data, from = "none";
  // Where a file of `total` bytes is read from: ?last= counts back from its end.
  auto place = [&](uint64_t total) {
    start = std::min(last ? total - std::min(*last, total) : offset, total);
    end = total;
  };
  if (source.running) {
    const std::string live_stream = merged ? "out" : stream;
    if (last) {
      auto now = live_output_.read(source.lease, live_stream, 0, 0, std::chrono::milliseconds(0));
      place(now ? now->end : 0);
      offset = start;
    }
    if (auto slice = live_output_.read(source.lease, live_stream, offset, kMaxSlice, wait)) {
      start = slice->start;
      end = slice->end;
      data = std::move(slice->data);
      from = "live";
    }
  } else if (!source.manifest_json.empty()) {
    for (const auto& f : manifest_from_json(json::parse(source.manifest_json)).files) {
      if (f.path != path) continue;
      // The stored blob's own size (checked against its digest when it was stored), not the
      // size the provider declared; a slice read at a time, never the whole file.
      auto size = artifacts_.size_of(f.sha256);
      if (!size) throw ApiError(Refusal::NotFound, "artifact_missing", "output " + path + " was not uploaded");
      place(*size);
      if (start < end) data = artifacts_.read_range(f.sha256, start, kMaxSlice).value_or("");
      from = "result";
    }
  }
  HttpResponse answer{200, "application/octet-stream", std::move(data), {}};
  // Done: nothing more will come, from this replica or from another the job may still run.
  bool done = source.job_finished && !source.running;
  answer.headers = {{"OG-Output-Lease", std::to_string(source.lease)},
                    {"OG-Output-File", path},
                    {"OG-Output-Start", std::to_string(start)},
                    {"OG-Output-End", std::to_string(std::max(end, start + answer.body.size()))},
                    {"OG-Output-Source", from},
                    {"OG-Output-Done", done ? "1" : "0"}};
  return answer;
}

HttpResponse Api::output_file(const std::string& manifest_json, const std::string& path, const std::string& whose) {
  Manifest manifest = manifest_from_json(json::parse(manifest_json));
  for (const auto& f : manifest.files) {
    if (f.path != path) continue;
    auto data = artifacts_.get(f.sha256);
    if (!data) throw ApiError(Refusal::NotFound, "artifact_missing", "output " + path + " was not uploaded");
    return HttpResponse{200, "application/octet-stream", std::move(*data), {}};
  }
  throw ApiError(Refusal::NotFound, "file_not_found", whose + " has no output file " + path);
}

HttpResponse Api::priorities(const Call& c) {
  json arr = json::array();
  for (const auto& [view, f] : services_.queries.priorities()) {
    if (c.user.role == "worker") continue;  // pending jobs: none ran on its partitions yet
    json j = job_json(view);
    j["priority"] = f.priority;
    j["factors"] = {{"age", f.age}, {"job_size", f.job_size}, {"fairshare", f.fairshare}, {"qos", f.qos}, {"nice", f.nice}};
    arr.push_back(j);
  }
  return ok({{"jobs", arr}});
}

HttpResponse Api::accounting(const Call& c) {
  int64_t since_s = 0;
  if (auto since = c.query("since"); !since.empty()) since_s = static_cast<int64_t>(parse_id(since, "since"));
  return jobs_listing(visible_to(c.user, services_.queries.accounting(since_s * 1000000, filter_from_query(c.req))), {});
}

}  // namespace og
