// Slurm-style job states and the rules for moving between them.
#pragma once

#include <string>
#include <string_view>

namespace og {

enum class JobState {
  Pending,
  Running,
  Completing,
  Completed,
  Failed,
  Cancelled,
  Timeout,
  NodeFail,
  OutOfMemory,
};

std::string_view to_string(JobState state);        // "PENDING", "RUNNING", ...
std::string_view short_code(JobState state);       // "PD", "R", "CG", "CD", ...
// Accepts the long name or the short code, any case. Throws og::UsageError otherwise.
JobState job_state_from_string(std::string_view text);
bool is_finished(JobState state);
// The state machine: PENDING → RUNNING → COMPLETING → a final state; PENDING or RUNNING
// may also be cancelled, and RUNNING may fall back to PENDING (requeue).
bool can_transition(JobState from, JobState to);

// Reason codes shown in og-squeue's NODELIST(REASON) column; Slurm's names where the
// meaning is the same, OpenGrid's own otherwise.
namespace reason {
inline constexpr std::string_view kNone = "None";
inline constexpr std::string_view kPriority = "Priority";
inline constexpr std::string_view kResources = "Resources";
inline constexpr std::string_view kBeginTime = "BeginTime";
inline constexpr std::string_view kHeld = "JobHeldUser";
inline constexpr std::string_view kDependency = "Dependency";
inline constexpr std::string_view kDependencyNever = "DependencyNeverSatisfied";
inline constexpr std::string_view kPartitionDown = "PartitionDown";
inline constexpr std::string_view kNoPartition = "PartitionConfig";
inline constexpr std::string_view kPriceTooLow = "PriceTooLow";
// No provider that could hold it pulls from its image's (or data's) registry.
inline constexpr std::string_view kRegistryNotAllowed = "RegistryNotAllowed";
// No provider that could hold it has GPUs of the model, memory or driver it asks for;
// the reason goes on with what that is: "GpusUnavailable:gpu:h200:1,gpu-mem>=81920M".
inline constexpr std::string_view kGpusUnavailable = "GpusUnavailable";
inline constexpr std::string_view kReplicas = "Replicas";  // too few distinct providers
inline constexpr std::string_view kQuorum = "Quorum";      // waiting for replicas to report
inline constexpr std::string_view kNoQuorum = "NoQuorum";
// --verify=score: waiting for validators' scores (Validators: for a validator none of
// whose operators ran a replica); no replica scored enough; its validators all failed.
inline constexpr std::string_view kValidation = "Validation";
inline constexpr std::string_view kValidators = "Validators";
inline constexpr std::string_view kBelowThreshold = "BelowThreshold";
inline constexpr std::string_view kValidationFailed = "ValidationFailed";
// Its requester disputed the accepted result and an audit by established providers found
// another one (og-scontrol dispute): the audit job holds the result.
inline constexpr std::string_view kOverturned = "Overturned";
inline constexpr std::string_view kNodeFail = "NodeFail";
inline constexpr std::string_view kRequeued = "Requeued";
inline constexpr std::string_view kNonZeroExit = "NonZeroExitCode";
// A worker refused to run the job: its signature or its bundle did not check out.
inline constexpr std::string_view kBadSignature = "BadSignature";
inline constexpr std::string_view kBadBundle = "BadBundle";
// Its image or a data set did not match its digest, or was no image (a layer refused), or
// the earlier job's result it reads could not be had (--data NAME=job:ID).
inline constexpr std::string_view kBadImage = "BadImage";
// The job filled more of its worker's disk than it may (og-worker --job-disk/--job-files).
inline constexpr std::string_view kDiskQuota = "DiskQuota";
inline constexpr std::string_view kTimeLimit = "TimeLimit";
inline constexpr std::string_view kCancelled = "Cancelled";
inline constexpr std::string_view kBudget = "Budget";  // its escrow could not be locked
}  // namespace reason

}  // namespace og
