// The durable copy of the scheduler's state in SQLite (WAL): users, jobs, replicas and
// partitions. Every change the API acknowledges is written here first.
// Not thread-safe: the Controller serialises access under its lock.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sqlite.hpp"
#include "scheduler/job_events.hpp"
#include "scheduler/model.hpp"

namespace og {

class JobStore {
 public:
  JobStore(const std::string& path, bool synchronous_full);

  Transaction transaction() { return Transaction(db_); }

  // Users: credentials are kept as SHA-256 of the token, never the token itself.
  void add_user(const User& user, const std::string& token_sha256);
  std::optional<User> find_user_by_token(const std::string& token_sha256);
  // The Ed25519 public key (hex) a user signs its job bundles with ("" when none).
  void set_public_key(const std::string& user, const std::string& public_hex);
  std::string public_key(const std::string& user);
  // Bundles by uploader: what each holds (its quota) and since when (its grace until a job
  // names it).
  void add_bundle_owner(const std::string& user, const std::string& sha256, uint64_t bytes, int64_t now_us);
  bool owns_bundle(const std::string& user, const std::string& sha256);
  uint64_t bundle_bytes_of(const std::string& user);
  std::vector<std::pair<std::string, std::string>> bundles_uploaded_before(int64_t before_us);  // (sha256, user)
  void remove_bundle_owner(const std::string& sha256, const std::string& user);
  bool bundle_has_owner(const std::string& sha256);
  // A job's secrets (binary-safe), kept until delete_secrets when it ends.
  void insert_secret(uint64_t job_id, const std::string& name, const std::string& value);
  std::map<std::string, std::string> load_secrets(uint64_t job_id);
  void delete_secrets(uint64_t job_id);
  // A job's last verified checkpoint (milestone and content digest); only ever moves forward.
  void set_checkpoint(uint64_t job_id, uint32_t milestone, const std::string& sha256);
  // Disputes: the audit job re-running a job whose result its requester contests (the job
  // id is unique: one dispute per job). load_audits: audit id → disputed job id.
  void add_audit(uint64_t job_id, uint64_t audit_id);
  std::map<uint64_t, uint64_t> load_audits();
  // Its content was uploaded by a holder of one of the job's leases (who had the bytes).
  void set_checkpoint_uploaded(uint64_t job_id, const std::string& sha256);
  bool user_exists(const std::string& name);

  // Jobs: insert assigns the id.
  uint64_t insert_job(const Job& job);
  void update_job(const Job& job, const std::string& nodelist);
  // The spec is fixed at submission except for what og-scontrol changes (hold).
  void update_job_spec(uint64_t id, const JobSpec& spec);
  std::optional<Job> load_job(uint64_t id);
  // Finished jobs that ended at or after since_us (for og-sacct), oldest first.
  std::vector<Job> load_finished_jobs(int64_t since_us, size_t limit);
  // The same, each with its node list (og-sacct).
  std::vector<std::pair<Job, std::string>> load_finished_with_nodes(int64_t since_us, size_t limit);
  std::string nodelist_of(uint64_t job_id);
  // The tasks of an array, by the array's job id.
  std::vector<Job> load_array_tasks(uint64_t array_job_id);

  // The job's journal: append inside a transaction, with the change it records; the event
  // carries its sequence number (the job's journal_seq + 1).
  void append_event(JobEvent& event);
  std::vector<JobEvent> load_events(uint64_t job_id);

  // Replicas (leases): insert assigns the id.
  uint64_t insert_replica(const Replica& replica);
  void update_replica(const Replica& replica);
  std::vector<Replica> load_replicas(uint64_t job_id);

  void upsert_partition(const Partition& partition);

  struct Snapshot {
    std::vector<Job> jobs;  // unfinished, plus finished since the cut-off
    std::vector<Replica> replicas;  // of those jobs
    std::vector<Partition> partitions;
  };
  Snapshot load_snapshot(int64_t finished_since_us);

 private:
  Job read_job(Statement& s);
  Replica read_replica(Statement& s);

  Database db_;
  std::unique_ptr<Statement> insert_job_;
  std::unique_ptr<Statement> update_job_;
  std::unique_ptr<Statement> insert_replica_;
  std::unique_ptr<Statement> update_replica_;
  std::unique_ptr<Statement> append_event_;
};

}  // namespace og
