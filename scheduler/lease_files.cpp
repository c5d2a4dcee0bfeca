// What requesters and lease holders may store and fetch: bundles within each user's quota
// and collected when no job names them, outputs a lease may name only once it uploaded
// them, and a job's verified checkpoint handed out only once its bytes were uploaded
// (bundles: Submissions, submissions.hpp; the rest: LeaseFiles, lease_files.hpp).
#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/time_util.hpp"
#include "scheduler/controller.hpp"

namespace og {

void Controller::admit_bundle(const User& user, const std::string& sha256, uint64_t bytes,
                              const std::function<void(const std::string&)>& remove) {
  std::lock_guard lock(mu_);
  int64_t now_us = now_unix_us();
  std::set<std::pair<std::string, std::string>> named;  // (bundle, user) of unfinished jobs
  for (const auto& [id, job] : jobs_)
    if (!job.spec.bundle_sha256.empty() && !is_finished(job.state)) named.emplace(job.spec.bundle_sha256, job.user);
  auto txn = begin();
  std::set<std::string> given_up;
  for (auto& owned : store_.bundles_uploaded_before(now_us - options_.bundle_grace_s * 1'000'000)) {
    if (named.count(owned)) continue;
    store_.remove_bundle_owner(owned.first, owned.second);
    given_up.insert(owned.first);
  }
  txn.commit();
  for (const auto& sha : given_up)
    if (!store_.bundle_has_owner(sha)) remove(sha);
  // The same bundle again replaces its own row: it is not counted twice.
  uint64_t held = store_.bundle_bytes_of(user.name);
  if (store_.owns_bundle(user.name, sha256)) held -= std::min(held, bytes);
  if (held + bytes > options_.max_user_bundles)
    throw ApiError(Refusal::TooLarge, "bundle_quota",
                   user.name + " holds " + std::to_string(held >> 20) + " MiB of bundles that jobs still name or may " +
                       "name; another " + std::to_string(bytes >> 20) + " MiB would pass the " +
                       std::to_string(options_.max_user_bundles >> 20) +
                       " MiB allowed (og-schedd --max-user-bundles): wait for those jobs to end, or submit fewer at once");
}

void Controller::add_bundle_owner(const User& user, const std::string& sha256, uint64_t bytes) {
  std::lock_guard lock(mu_);
  store_.add_bundle_owner(user.name, sha256, bytes, now_unix_us());
}

std::string Controller::lease_bundle(const User& user, uint64_t lease_id) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  return jobs_.at(r.job_id).spec.bundle_sha256;
}

std::string Controller::lease_checkpoint(const User& user, uint64_t lease_id) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  const Job& job = jobs_.at(r.job_id);
  return job.checkpoint_uploaded ? job.checkpoint_sha256 : std::string();
}

void Controller::charge_upload(const User& user, uint64_t lease_id, uint64_t bytes) {
  std::lock_guard lock(mu_);
  try {
    held_lease(user, lease_id);
  } catch (const ApiError& e) {
    throw ApiError(Refusal::Forbidden, "forbidden", e.what());  // uploads only for a lease one runs
  }
  uint64_t& total = uploaded_[lease_id];
  if (total + bytes > options_.max_job_output)
    throw ApiError(Refusal::TooLarge, "output_too_large",
                   "lease " + std::to_string(lease_id) + " would upload more than " +
                       std::to_string(options_.max_job_output) + " bytes of outputs (og-schedd --max-job-output)");
  total += bytes;
}

void Controller::record_upload(const User& user, uint64_t lease_id, const std::string& digest) {
  std::lock_guard lock(mu_);
  held_lease(user, lease_id);
  uploaded_digests_[lease_id].insert(digest);
}

bool Controller::lease_may_name(const User& user, uint64_t lease_id, const std::string& digest) {
  std::lock_guard lock(mu_);
  held_lease(user, lease_id);
  auto it = uploaded_digests_.find(lease_id);
  return it != uploaded_digests_.end() && it->second.count(digest);
}

void Controller::check_holder(const User& user, uint64_t lease_id) {
  std::lock_guard lock(mu_);
  held_lease(user, lease_id);
}

bool Controller::is_lease_checkpoint(const User& user, uint64_t lease_id, const std::string& digest) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  const Job& job = jobs_.at(r.job_id);
  return !job.checkpoint_sha256.empty() && job.checkpoint_sha256 == digest;
}

bool Controller::checkpoint_held(const User& user, uint64_t lease_id) {
  std::lock_guard lock(mu_);
  return jobs_.at(held_lease(user, lease_id).job_id).checkpoint_uploaded;
}

void Controller::checkpoint_uploaded(const User& user, uint64_t lease_id, const std::string& digest) {
  std::lock_guard lock(mu_);
  Replica& r = held_lease(user, lease_id);
  Job& job = jobs_.at(r.job_id);
  if (job.checkpoint_sha256 != digest || job.checkpoint_uploaded) return;
  store_.set_checkpoint_uploaded(job.id, digest);
  job.checkpoint_uploaded = true;
}

}  // namespace og
