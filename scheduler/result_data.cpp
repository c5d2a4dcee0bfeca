// An earlier job's accepted result as a later job's data set (--data NAME=job:ID): what
// Slurm pipelines get from a shared file system, here by digest through og-schedd. At
// submission the named job must be the submitter's and its result accepted already or
// awaited (afterok); the worker holding a lease asks for the result's manifest, then for
// each file, and mounts them read-only at /data/NAME.
#include "scheduler/controller.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace og {

namespace {

bool awaits_success_of(const jobscripts::DependencySpec& dependency, uint64_t job_id) {
  if (dependency.any_of) return false;  // another term could let the job start first
  for (const auto& term : dependency.terms)
    if (term.kind == jobscripts::DependencyTerm::Kind::AfterOk)
      for (const auto& target : term.targets)
        if (target.job_id == job_id && target.array_task < 0 && !target.all_tasks) return true;
  return false;
}

}  // namespace

void Controller::check_result_data(const User& user, const JobSpec& spec, const jobscripts::DependencySpec& dependency) {
  for (const auto& [name, ref] : spec.data) {
    auto source = result_job_of(ref);
    if (!source) continue;
    std::string what = "--data " + name + "=" + ref + ": ";
    std::optional<Job> stored;
    const Job* job = nullptr;
    if (auto it = jobs_.find(*source); it != jobs_.end()) job = &it->second;
    else if ((stored = store_.load_job(*source))) job = &*stored;
    if (!job || job->user != user.name)
      throw ApiError(Refusal::Invalid, "invalid_data", what + "you have no job " + std::to_string(*source));
    if (job->is_array_task() && job->array_job_id == *source)
      throw ApiError(Refusal::Invalid, "invalid_data",
                     what + "job " + std::to_string(*source) + " names an array (and its first task): name a job, "
                     "or another of the array's tasks by its own id, whose result to read");
    if (is_finished(job->state)) {
      if (job->state == JobState::Completed && job->canonical_replica != 0 && job->reason != reason::kOverturned)
        continue;  // accepted already
      throw ApiError(Refusal::Invalid, "invalid_data",
                     what + "job " + std::to_string(*source) + " ended without a result to read (" +
                         std::string(to_string(job->state)) +
                         (job->reason == reason::kOverturned ? ", its result overturned" : "") + ")");
    }
    if (!awaits_success_of(dependency, *source))
      throw ApiError(Refusal::Invalid, "invalid_data",
                     what + "job " + std::to_string(*source) + " has no accepted result yet: add --dependency=afterok:" +
                         std::to_string(*source) + " (joined to the others by ',', not '?') so that this job "
                         "starts once it has");
  }
}

std::string Controller::lease_data_manifest(const User& user, uint64_t lease_id, const std::string& name) {
  uint64_t source = 0;
  std::string owner;
  {
    std::lock_guard lock(mu_);
    const Replica& lease = held_lease(user, lease_id);
    const Job& job = jobs_.at(lease.job_id);
    if (lease.validates && name.starts_with(kReplicaDataPrefix)) {
      // A validation task reads the outputs of the replicas it scores, as they reported them.
      uint64_t replica = 0;
      try {
        replica = std::stoull(name.substr(kReplicaDataPrefix.size()));
      } catch (const std::exception&) {
      }
      const auto scored = scored_replicas(job);
      if (std::find(scored.begin(), scored.end(), replica) == scored.end())
        throw ApiError(Refusal::NotFound, "no_such_data",
                       "lease " + std::to_string(lease_id) + " scores no replica named " + name);
      return replicas_.at(replica).manifest_json;
    }
    auto it = job.spec.data.find(name);
    auto named = it == job.spec.data.end() ? std::nullopt : result_job_of(it->second);
    if (!named)
      throw ApiError(Refusal::NotFound, "no_such_data",
                     "the job of lease " + std::to_string(lease_id) + " reads no job's result as " + name);
    source = *named;
    owner = job.user;
  }
  // The same owner's job, checked again: the reference was signed, but og-schedd's check
  // at submission is what makes it the requester's own. A result overturned since (a
  // dispute) is no longer one to read.
  Job job = owned_job(User{owner, "user"}, source);
  if (job.reason == reason::kOverturned)
    throw ApiError(Refusal::Conflict, "result_overturned",
                   "job " + std::to_string(source) + "'s result was overturned by a dispute");
  return canonical_manifest(User{owner, "user"}, source);
}

}  // namespace og
