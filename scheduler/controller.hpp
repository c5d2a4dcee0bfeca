// The controller owns the scheduler's state: jobs, replicas (leases) and partitions, in
// memory under one lock and durable in the JobStore. API handlers reach it through the
// services it implements (services.hpp); a scheduling thread runs a pass whenever
// something changed (a submission, a freed slot, a worker arriving) — passes coalesce
// under load — and checks worker heartbeats.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <random>

#include "chain/evm_ledger.hpp"
#include "chain/group_commit_ledger.hpp"
#include "chain/ledger.hpp"
#include "core/error.hpp"
#include "scheduler/adaptive_replication.hpp"
#include "scheduler/credentials.hpp"
#include "scheduler/dependency_policy.hpp"
#include "scheduler/escrow.hpp"
#include "scheduler/job_events.hpp"
#include "scheduler/job_store.hpp"
#include "scheduler/metrics.hpp"
#include "scheduler/model.hpp"
#include "scheduler/output_comparer.hpp"
#include "scheduler/priority.hpp"
#include "scheduler/reputation.hpp"
#include "scheduler/scheduling_pass.hpp"
#include "scheduler/score_verdict.hpp"
#include "scheduler/services.hpp"

namespace og {

struct ControllerOptions {
  std::string database_path;
  bool synchronous_full = false;
  int64_t heartbeat_timeout_us = 30'000'000;  // a worker silent this long is DOWN
  int64_t default_time_limit_s = 3600;        // for jobs that give no --time
  int64_t min_job_age_us = 300'000'000;       // finished jobs stay in og-squeue this long
  uint32_t max_requeue = 3;                   // NODE_FAIL requeues before giving up
  uint32_t max_replicas = 5;                  // replicas that disagree get company up to this
  uint64_t max_job_output = 1ull << 30;       // bytes one replica may upload and report
  PriorityWeights priority;                   // multifactor priority (og-sprio shows it)
  std::string scheduler = "backfill";         // what a blocked job means: backfill or fifo
  // Where a replicated job's replicas go: "weighted" (drawn among the offers within its
  // price, by reputation: underpricing buys no majority) or "cheapest" (the order book).
  std::string placement = "weighted";
  size_t max_planned_jobs = 500;              // og-squeue --start looks this far ahead
  std::string ledger_path;                    // the embedded ledger; empty: payments off
  // Set: the book at ledger_path also settles on an EVM chain (chain/evm_ledger.hpp).
  std::optional<EvmLedgerOptions> evm_ledger;
  EconomicsOptions economics;                 // prices, fee, bonds, slashing
  // Test money: what `og-wallet deposit` may credit to one wallet in all (0: no faucet;
  // only an admin can deposit then).
  int64_t faucet_limit_micros = 0;
  ReputationOptions reputation;
  AdaptiveOptions adaptive;                   // single replicas on trusted providers
  bool require_signed = true;                 // refuse jobs without a requester's signature
  uint64_t max_bundle = 64ull << 20;          // bytes of one job bundle
  uint64_t max_user_bundles = 1ull << 30;     // bytes of bundles one user may hold at once
  int64_t bundle_grace_s = 600;               // for a job to name an uploaded bundle
  int64_t dispute_window_s = 86400;           // after a job's end, its requester may dispute it
  ValidationOptions validation;               // --verify=score (score_verdict.hpp)
};

// The job manager: it owns the scheduler's state and is the one place it changes
// (record(), job_journal.cpp). Clients reach it only through the narrow interfaces it
// implements (services.hpp); each is implemented in its own file, named after it.
class Controller final : private Submissions,
                         private JobQueries,
                         private LeaseProtocol,
                         private LeaseFiles,
                         private Wallets {
 public:
  explicit Controller(ControllerOptions options);
  ~Controller() override;
  void start();
  void stop();
  Services services() { return {*this, *this, *this, *this, *this, credentials_}; }
  Submissions& submissions() { return *this; }
  JobQueries& queries() { return *this; }
  LeaseProtocol& leases() { return *this; }
  LeaseFiles& lease_files() { return *this; }
  Wallets& wallets() { return *this; }
  // Tokens, users and their signing keys (a lock and a connection of their own).
  Credentials& credentials() { return credentials_; }
  // How fuzzy verification reads uploaded outputs (the artifact store); unset: exact only.
  // Comparisons then run on a thread of their own (output_comparer.hpp), off the lock.
  void set_blob_reader(ReadBlob read);

 private:
  // Submissions (submission.cpp, disputes.cpp)
  std::vector<uint64_t> submit(const User& user, JobSpec spec, const Secrets& secrets, uint64_t audit_of) override;
  TestOnlyResult test_only(const User& user, JobSpec spec) override;
  JobView cancel_job(const User& user, uint64_t id) override;
  JobView set_hold(const User& user, uint64_t id, bool hold) override;
  JobView requeue_job(const User& user, uint64_t id) override;
  JobView update_job(const User& user, uint64_t id, const JobUpdate& update) override;
  uint64_t dispute(const User& user, uint64_t job_id) override;
  uint64_t max_bundle() const override { return options_.max_bundle; }
  void admit_bundle(const User& user, const std::string& sha256, uint64_t bytes,
                    const std::function<void(const std::string&)>& remove) override;
  void add_bundle_owner(const User& user, const std::string& sha256, uint64_t bytes) override;
  // JobQueries (job_queries.cpp, metrics in controller.cpp)
  JobListing list_jobs(const JobFilter& filter) override;
  std::optional<JobDetail> get_job(uint64_t id) override;
  std::vector<JobEvent> job_events(const User& user, uint64_t id) override;
  JobView wait_job(uint64_t id, int64_t timeout_us, const std::string& since) override;
  std::vector<JobView> accounting(int64_t since_us, const JobFilter& filter) override;
  std::vector<std::pair<JobView, PriorityFactors>> priorities() override;
  std::map<uint64_t, StartEstimate> expected_starts() override;
  std::string canonical_manifest(const User& user, uint64_t job_id) override;
  std::string replica_manifest(const User& user, uint64_t job_id, uint64_t lease_id) override;
  OutputSource output_source(const User& user, uint64_t job_id, uint32_t replica, uint64_t following) override;
  std::string reported_manifest(uint64_t job_id, uint64_t lease_id);  // "" when none
  std::vector<Partition> partitions() override;
  std::string metrics_text() override;
  std::string state_metrics();  // the part /metrics reads under the state lock
  // LeaseProtocol (lease_protocol.cpp)
  Partition register_partition(const User& user, Partition proposal) override;
  Partition set_drain(const User& user, const std::string& name, bool drain) override;
  PollResult poll(const User& user, const std::string& partition, uint64_t instance,
                  const std::set<uint64_t>& running, int64_t wait_us) override;
  void note_cached(const User& user, const std::string& partition, std::set<std::string> digests) override;
  int64_t max_poll_wait_us() const override { return options_.heartbeat_timeout_us / 3; }
  void complete(const User& user, uint64_t lease_id, const CompletionReport& report) override;
  bool milestone(const User& user, uint64_t lease_id, uint32_t index, const std::string& digest) override;
  // LeaseFiles (lease_files.cpp)
  std::string lease_bundle(const User& user, uint64_t lease_id) override;
  std::string lease_checkpoint(const User& user, uint64_t lease_id) override;
  std::string lease_data_manifest(const User& user, uint64_t lease_id, const std::string& name) override;
  Secrets lease_secrets(const User& user, uint64_t lease_id) override;
  bool is_lease_checkpoint(const User& user, uint64_t lease_id, const std::string& digest) override;
  void checkpoint_uploaded(const User& user, uint64_t lease_id, const std::string& digest) override;
  bool checkpoint_held(const User& user, uint64_t lease_id) override;
  uint64_t max_job_output() const override { return options_.max_job_output; }
  void charge_upload(const User& user, uint64_t lease_id, uint64_t bytes) override;
  void record_upload(const User& user, uint64_t lease_id, const std::string& digest) override;
  bool lease_may_name(const User& user, uint64_t lease_id, const std::string& digest) override;
  void check_holder(const User& user, uint64_t lease_id) override;
  // Wallets (wallets.cpp)
  WalletView wallet(const User& user, const std::string& name) override;
  MeshTerms terms() override;
  Earnings earnings(const User& user, const std::string& name, int days) override;
  WalletView deposit(const User& user, const std::string& name, int64_t amount,
                     const std::string& request_id) override;
  WalletView withdraw(const User& user, int64_t amount, const std::string& request_id) override;
  std::vector<LedgerEntry> wallet_history(const User& user, const std::string& name, size_t limit) override;
  WalletView unbond(const User& user) override;
  std::string chain_link_message(const User& user, const std::string& address) override;
  WalletView link_chain_address(const User& user, const std::string& address, const std::string& signature) override;

  // The machinery behind them.
  void load_state();
  void scheduling_loop();
  void schedule_pass(int64_t now_us);
  struct RankedJob {
    int64_t priority;
    Job* job;
  };
  // The queued jobs that may start now (plus `extra`), highest priority first.
  std::vector<RankedJob> ranked_ready(int64_t now_us, Job* extra);
  PlacementRequest placement_request(const Job& job, uint32_t needed);
  std::map<uint64_t, StartEstimate> plan_starts(Job* probe);
  static constexpr uint64_t kProbeJobId = UINT64_MAX;  // og-sbatch --test-only's job
  void check_heartbeats(int64_t now_mono);
  // Pays for (and rates the providers of) finished jobs whose replicas all stopped.
  void settle_ready(int64_t now_us);
  // False while a comparison it needs is still being made (nothing paid yet).
  bool settle(Job& job, int64_t now_us);
  // Locks what the jobs may cost in their escrows; with `queue`, in the ledger's queue (its
  // writer thread writes it); jobs that cannot be paid for end (Budget).
  void lock_escrow(const std::vector<Job*>& jobs, bool queue = false);
  void end_unlocked(const std::vector<Job*>& jobs);  // those whose lock is not in the ledger: cancelled, Budget
  void end_refused_locks();  // jobs whose queued lock the ledger refused when it wrote it (mu_ held)
  // Reputations from what the quorum found: confirmed results raise them (and the streak
  // that earns trust), errors and results proven wrong lower them.
  void rate_by_quorum(const Job& job, const std::vector<SettledReplica>& replicas, bool has_result, bool proven,
                      int64_t now_us);
  // --verify=score: reputations from the scores the replicas got and from whether each
  // validator's scores stood.
  void rate_by_scores(const ScoreVerdict& verdict, double threshold, const std::vector<SettledReplica>& replicas,
                      const std::vector<SettledValidator>& validators, int64_t now_us);
  // The active lease `lease_id` as held by this worker, or the API error saying why not.
  Replica& held_lease(const User& user, uint64_t lease_id);
  // Throws ApiError (400, BadSignature or unsigned_job) unless the job carries a good
  // signature — or none where og-schedd allows that. Without the lock: it is the costly part.
  void check_signature(const User& user, const JobSpec& spec);
  // Invalid unless every partition -p names is one a provider offered (DOWN ones count).
  void check_partitions_exist(const JobSpec& spec) const;
  // Invalid unless each --data NAME=job:ID names a job of the user's whose result is
  // accepted, or awaited by an afterok dependency (mu_ held).
  void check_result_data(const User& user, const JobSpec& spec, const jobscripts::DependencySpec& dependency);
  // The signing key is the user's registered one.
  void check_signer(const User& user, const JobSpec& spec);
  // What verified milestones paid each replica of the job so far: replica → (total, fee).
  std::map<uint64_t, std::pair<int64_t, int64_t>> milestone_payments(const Job& job);
  // Pays the replicas that agreed on milestone `index` for their runtime so far.
  void pay_milestone(Job& job, uint32_t index, const std::vector<const Replica*>& agreeing);
  // Returns when the next bond is due (0: none pending).
  int64_t release_unbonded(int64_t now_us);
  int64_t unbond_release_us(const std::string& name);  // 0 when nothing is unbonding
  Ledger& ledger_or_throw();
  std::string wallet_owner(const User& user, const std::string& name) const;
  void evict_finished(int64_t now_us);
  void wake_partition(const std::string& name);
  void request_pass();  // caller holds mu_

  void assign(Job& job, const std::vector<Partition*>& partitions, int64_t now_us);
  void release(Replica& replica);
  // The one way a job or a replica of it changes (job_journal.cpp): apply the event,
  // append it to the job's journal inside the caller's transaction, write the rows, and
  // keep the queue, array throttle, fair share, waiters and allocations in step.
  JobEvent record(Job& job, Replica* replica, EventKind kind, const std::string& actor, nlohmann::json context,
                  int64_t now_us);
  // A lease its worker collected: applied now, journalled with the next write (the poll
  // answers without a commit; as the delivery, its event is not kept across a restart).
  void delivered(Job& job, Replica& replica, const std::string& actor, int64_t now_us);
  void write_deferred_now();  // in a transaction of its own, before any other opens
  // Every transaction of the controller opens here: deferred deliveries first, so a
  // journal is written in order and a rollback loses none of them.
  Transaction begin();
  // Apply and append only: a job just inserted, or one no longer held in memory.
  JobEvent journal(Job& job, EventKind kind, const std::string& actor, nlohmann::json context, int64_t now_us);
  // An active replica stopped without a result (lost, or handed back by its provider):
  // cancelled if we had asked for that, else the job is requeued or ends NODE_FAIL.
  void replica_stopped(Replica& replica, EventKind kind, const std::string& actor, nlohmann::json context,
                       int64_t now_us);
  void evaluate_quorum(Job& job, int64_t now_us);
  // --verify=score (validation.cpp): the job's verdict from its validators' scores, asking
  // for (and placing) the validation tasks it needs. False when scores cannot decide it (no
  // replica completed): the quorum over outcomes does.
  bool evaluate_scores(Job& job, int64_t now_us);
  // The replicas scored: those that completed with exit 0 (lease ids, oldest first).
  std::vector<uint64_t> scored_replicas(const Job& job) const;
  std::vector<ValidatorScores> validator_scores(const Job& job) const;
  // The validator partitions that could score the job, busy or not: up, able to run it,
  // answering to no identity of its replicas' or earlier validators' (one per identity).
  std::vector<Partition*> eligible_validators(const Job& job);
  // Places `count` validation tasks on eligible validators free to take them; returns how
  // many found a place.
  uint32_t place_validators(Job& job, uint32_t count, int64_t now_us);
  void complete_validation(Replica& r, const CompletionReport& report, int64_t now_us);
  void evaluate_waiting(int64_t now_us);  // the jobs in to_evaluate_
  // Cancels replicas not yet delivered and asks workers to stop running ones.
  void stop_replicas(Job& job, int64_t now_us, bool keep_running);
  uint32_t needed_replicas(const Job& job) const;
  // Replicas the job runs with: what it asked for (or adaptive replication gave it), plus
  // any extra ones; and how many of them must agree.
  uint32_t replicas_wanted(const Job& job) const;
  uint32_t quorum_needed(const Job& job) const;
  // Whether two replicas returned the same result: equal votes, or under --verify=fuzzy
  // (`spec`'s mode) the same files with numeric ones equal within the tolerance. A fuzzy
  // comparison not yet made is asked of the comparer and is nullopt until it answers
  // (then `owner`, the job whose verdict waits, is evaluated again).
  std::optional<bool> agreement(uint64_t owner, const JobSpec& spec, const Replica& a, const Replica& b);
  // The comparer's answer, posted to the job that waits for it.
  void comparison_answered(const OutputComparer::Request& request, bool agree);
  // A copy of the job, in memory or (finished long ago) from the store; 404 when none.
  Job any_job(uint64_t job_id);
  // An audit job has settled: the verdict on the job it re-ran (see dispute()). False,
  // with nothing done, while a comparison it needs is still being made.
  bool settle_dispute(const Job& audit, bool proven, int64_t now_us);
  // When replicas disagree: one more on another provider, if one could take it and the
  // requester can pay for it. False when the job must end without a quorum.
  bool add_extra_replica(Job& job);
  std::set<std::string> partitions_of(const Job& job) const;
  std::string nodelist(const Job& job) const;
  // The sandbox levels of the partitions in a node list (as they are now), joined by ','.
  std::string isolation_of(const std::string& nodelist) const;
  std::map<std::string, std::string> isolation_levels() const;  // partition → its level
  static std::string isolation_of(const std::map<std::string, std::string>& levels, const std::string& nodelist);
  // Off the state lock, on the reader connection: a job only the database holds.
  std::optional<JobView> stored_view(uint64_t id, const std::map<std::string, std::string>& levels);
  // The job (from memory, else the reader) if the user may see its details; 403/404 otherwise.
  Job owned_job(const User& user, uint64_t id);
  // The transfer that makes the job's escrow cover `wanted` (MaxPrice updated), if any.
  std::optional<Transfer> escrow_change_for(const Job& job, const JobSpec& wanted);
  JobView view_of(const Job& job) const;
  void persist(const Job& job);
  Job& job_or_throw(uint64_t id);
  void check_owner(const User& user, const Job& job) const;
  bool eligible(Job& job, int64_t now_us);
  bool array_throttled(const Job& job);  // its array already runs %N tasks
  uint64_t mesh_cpus() const;  // CPUs of the partitions that are UP
  std::vector<TargetState> dependency_targets(const jobscripts::DependencyTarget& target);
  bool earlier_namesake_unfinished(const Job& dependent) const;

  ControllerOptions options_;
  JobStore store_;
  Credentials credentials_;
  // The queries' own connection to the same database, so that reading finished jobs does
  // not hold mu_ (job_queries.cpp); guarded by read_mu_, never taken together with mu_.
  std::mutex read_mu_;
  JobStore reader_;
  FairShare fairshare_;
  std::unique_ptr<PriorityPolicy> priority_;
  std::unique_ptr<SchedulerPolicy> scheduler_;
  std::unique_ptr<GroupCommitLedger> ledger_;  // null: payments off
  EvmLedger* evm_ = nullptr;        // ledger_, when it settles on chain
  std::set<uint64_t> unsettled_;    // finished jobs not yet settled
  std::vector<Transfer> refused_locks_;  // taken from the ledger, not yet dealt with (end_refused_locks)
  std::set<std::string> unbonding_;  // providers whose bond is on its way back
  std::map<uint64_t, uint64_t> uploaded_;  // bytes uploaded per active lease
  std::map<uint64_t, std::set<std::string>> uploaded_digests_;  // and what, per active lease
  std::mt19937_64 spot_checks_{std::random_device{}()};
  std::mt19937_64 placement_rng_{std::random_device{}()};
  std::map<uint64_t, uint64_t> audit_of_;  // audit job → the disputed job it re-runs
  std::map<uint64_t, std::set<std::string>> audit_avoids_;  // → the partitions that ran that job
  std::unique_ptr<OutputComparer> comparer_;  // null: no blob reader, exact verification only
  // Fuzzy comparisons by the job whose verdict needs them: (lease, lease) → the answer,
  // nullopt while it is being made.
  std::map<uint64_t, std::map<std::pair<uint64_t, uint64_t>, std::optional<bool>>> comparisons_;
  std::set<uint64_t> to_evaluate_;  // jobs whose quorum is looked at again by the loop
  // --verify=score jobs whose replicas have reported and whose verdict waits for validators:
  // looked at by every pass (a validator may have come, a task may be overdue).
  std::set<uint64_t> validating_;
  std::vector<JobEvent> unwritten_;  // deliveries, journalled with the next write
  std::mutex mu_;
  SchedulerCounters counters_;  // for /metrics
  std::map<uint64_t, Job> jobs_;          // unfinished + recently finished
  std::map<uint64_t, Replica> replicas_;  // of the jobs above
  std::map<std::string, Partition> partitions_;
  std::map<std::string, std::condition_variable> poll_cv_;
  std::map<std::string, std::vector<uint64_t>> undelivered_;  // per partition
  std::map<std::string, uint64_t> poll_seq_;  // the newest poll per partition wins
  std::map<std::string, std::set<uint64_t>> active_on_;  // active replica ids per partition
  int64_t next_eviction_us_ = 0;
  uint64_t last_instance_ = 0;
  std::map<std::string, std::set<uint64_t>> cancel_sent_;  // per partition, still listed
  // Jobs that need replicas placed; a pass orders them by priority, ties by this key.
  using QueueKey = std::pair<int32_t, uint64_t>;  // (nice, job id)
  static QueueKey queue_key(const Job& job) { return {job.spec.nice, job.id}; }
  std::set<QueueKey> queue_;
  std::map<uint64_t, uint32_t> array_active_;  // running tasks per array (throttle)
  std::condition_variable sched_cv_;
  std::condition_variable job_finished_cv_;  // a job started or finished
  bool dirty_ = false;
  int64_t last_pass_us_ = 0, last_pass_end_us_ = 0;  // how long the last pass took, when it ended
  bool stopping_ = false;
  std::thread sched_thread_;
};

}  // namespace og
