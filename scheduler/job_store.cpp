#include "scheduler/job_store.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hex.hpp"
#include "core/strings.hpp"
#include "scheduler/gpu_offer.hpp"

namespace og {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, token_sha256 TEXT NOT NULL UNIQUE,
  created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, spec_json TEXT NOT NULL,
  state TEXT NOT NULL, reason TEXT NOT NULL, submit_us INTEGER NOT NULL,
  start_us INTEGER NOT NULL DEFAULT 0, end_us INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0, requeue_count INTEGER NOT NULL DEFAULT 0,
  array_job_id INTEGER NOT NULL DEFAULT 0, array_task_id INTEGER NOT NULL DEFAULT -1,
  canonical_root TEXT NOT NULL DEFAULT '', canonical_replica INTEGER NOT NULL DEFAULT 0,
  nodelist TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS jobs_by_end ON jobs(end_us);
CREATE INDEX IF NOT EXISTS jobs_by_array ON jobs(array_job_id);
CREATE TABLE IF NOT EXISTS replicas (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL REFERENCES jobs(id),
  partition TEXT NOT NULL, state TEXT NOT NULL, cancel_requested INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '', exit_code INTEGER NOT NULL DEFAULT 0,
  root TEXT NOT NULL DEFAULT '', manifest_json TEXT NOT NULL DEFAULT '',
  price_micros INTEGER NOT NULL DEFAULT 0, start_us INTEGER NOT NULL DEFAULT 0,
  end_us INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS replicas_by_job ON replicas(job_id);
CREATE TABLE IF NOT EXISTS partitions (
  name TEXT PRIMARY KEY, owner TEXT NOT NULL, cpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL,
  gpus INTEGER NOT NULL, gpu_type TEXT NOT NULL, price_micros INTEGER NOT NULL,
  drain_requested INTEGER NOT NULL, registered_us INTEGER NOT NULL,
  features TEXT NOT NULL DEFAULT '', gpu_price_micros INTEGER NOT NULL DEFAULT 0,
  operator TEXT NOT NULL DEFAULT '');
-- A job's secrets until it ends (the database file is readable by og-schedd's user only).
CREATE TABLE IF NOT EXISTS bundle_owners (
  sha256 TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (sha256, user));
-- A requester's dispute of a job's accepted result: the audit job that re-runs it.
CREATE TABLE IF NOT EXISTS job_audits (
  audit_id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL UNIQUE);
-- Every change to a job or its replicas, in order (scheduler/job_events.hpp).
CREATE TABLE IF NOT EXISTS job_events (
  job_id INTEGER NOT NULL, seq INTEGER NOT NULL, time_us INTEGER NOT NULL, name TEXT NOT NULL,
  actor TEXT NOT NULL, context TEXT NOT NULL, PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_checkpoints (
  job_id INTEGER PRIMARY KEY, milestone INTEGER NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_secrets (
  job_id INTEGER NOT NULL, name TEXT NOT NULL, value_hex TEXT NOT NULL, PRIMARY KEY (job_id, name));
)sql";

// Columns added after a table was first created: a state directory from an older
// og-schedd gets them on start instead of failing.
struct AddedColumn {
  const char* table;
  const char* name;
  const char* definition;
  const char* then = nullptr;  // run once when the column is added (e.g. to mark old rows)
};
constexpr AddedColumn kAddedColumns[] = {
    {"partitions", "gpu_price_micros", "INTEGER NOT NULL DEFAULT 0"},
    {"partitions", "operator", "TEXT NOT NULL DEFAULT ''"},
    {"partitions", "reputation", "REAL NOT NULL DEFAULT 0.5"},
    {"partitions", "reputation_us", "INTEGER NOT NULL DEFAULT 0"},
    // Jobs that ended before payments existed have nothing to settle.
    {"jobs", "settled", "INTEGER NOT NULL DEFAULT 0", "UPDATE jobs SET settled = 1 WHERE end_us > 0"},
    {"jobs", "cost_micros", "INTEGER NOT NULL DEFAULT 0"},
    {"jobs", "fee_micros", "INTEGER NOT NULL DEFAULT 0"},
    {"jobs", "paid_to", "TEXT NOT NULL DEFAULT ''"},
    {"jobs", "extra_replicas", "INTEGER NOT NULL DEFAULT 0"},
    {"jobs", "adaptive_replicas", "INTEGER NOT NULL DEFAULT 0"},
    {"users", "public_key", "TEXT NOT NULL DEFAULT ''"},
    {"partitions", "valid_streak", "INTEGER NOT NULL DEFAULT 0"},
    {"partitions", "isolation", "TEXT NOT NULL DEFAULT 'none'"},
    {"partitions", "egress", "INTEGER NOT NULL DEFAULT 0"},
    {"partitions", "nodes", "INTEGER NOT NULL DEFAULT 1"},
    {"partitions", "registries", "TEXT NOT NULL DEFAULT ''"},
    {"replicas", "reason", "TEXT NOT NULL DEFAULT ''"},
    {"replicas", "gpu_mask", "INTEGER NOT NULL DEFAULT 0"},
    // Its GPUs one by one, their driver and prices by model (gpu_offer_json), "" for none.
    {"partitions", "gpu_offer", "TEXT NOT NULL DEFAULT ''"},
    {"bundle_owners", "bytes", "INTEGER NOT NULL DEFAULT 0"},
    // Checkpoints kept before this column were uploaded by a lease holder already.
    {"job_checkpoints", "uploaded", "INTEGER NOT NULL DEFAULT 1"},
    {"bundle_owners", "uploaded_us", "INTEGER NOT NULL DEFAULT 0"},
    // --verify=score: validation tasks, their scores by replica ({"LEASE": score}), the
    // validators a job's verdict waits for, and the partitions that score.
    {"replicas", "validates", "INTEGER NOT NULL DEFAULT 0"},
    {"replicas", "scores", "TEXT NOT NULL DEFAULT ''"},
    {"jobs", "validators_wanted", "INTEGER NOT NULL DEFAULT 0"},
    {"jobs", "validator_pay_micros", "INTEGER NOT NULL DEFAULT 0"},
    {"partitions", "validator", "INTEGER NOT NULL DEFAULT 0"},
};

constexpr const char* kJobColumns =
    "id, user, spec_json, state, reason, submit_us, start_us, end_us, exit_code, requeue_count, "
    "array_job_id, array_task_id, canonical_root, canonical_replica, settled, cost_micros, fee_micros, paid_to, extra_replicas, adaptive_replicas, "
    "validators_wanted, validator_pay_micros, (SELECT milestone FROM job_checkpoints c WHERE c.job_id = jobs.id), "
    "(SELECT sha256 FROM job_checkpoints c WHERE c.job_id = jobs.id), "
    "(SELECT uploaded FROM job_checkpoints c WHERE c.job_id = jobs.id)";
constexpr int kJobColumnCount = 25;  // the columns above, in order
// The last event of each job's journal (0: none yet), where the job is loaded to change.
constexpr const char* kJournalSeqColumn =
    ", (SELECT COALESCE(MAX(seq), 0) FROM job_events e WHERE e.job_id = jobs.id)";
constexpr const char* kReplicaColumns =
    "id, job_id, partition, state, cancel_requested, outcome, exit_code, root, manifest_json, "
    "price_micros, start_us, end_us, reason, gpu_mask, validates, scores";

// A validation task's scores as stored: {"LEASE": score}, "" for none.
std::string scores_text(const std::map<uint64_t, double>& scores) {
  if (scores.empty()) return "";
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [lease, score] : scores) j[std::to_string(lease)] = score;
  return j.dump();
}

std::map<uint64_t, double> scores_from_text(const std::string& text) {
  std::map<uint64_t, double> out;
  if (text.empty()) return out;
  const auto parsed = nlohmann::json::parse(text);  // must outlive the loop over it
  for (const auto& [lease, score] : parsed.items()) out[std::stoull(lease)] = score.get<double>();
  return out;
}

}  // namespace

JobStore::JobStore(const std::string& path, bool synchronous_full) : db_(path, synchronous_full) {
  db_.exec(kSchema);
  for (const auto& column : kAddedColumns) {
    auto info = db_.prepare(std::string("SELECT 1 FROM pragma_table_info('") + column.table +
                            "') WHERE name = ?1");
    info->bind(1, std::string(column.name));
    if (!info->step()) {
      db_.exec(std::string("ALTER TABLE ") + column.table + " ADD COLUMN " + column.name + " " +
               column.definition);
      if (column.then) db_.exec(column.then);
    }
  }
  // Secrets are deleted when their job ends: overwrite them, do not just unlink pages.
  db_.exec("PRAGMA secure_delete=ON");
  // Start-up loads the jobs not yet paid for, whatever their age.
  db_.exec("CREATE INDEX IF NOT EXISTS jobs_unsettled ON jobs(settled) WHERE settled = 0");
  insert_job_ = db_.prepare(
      "INSERT INTO jobs (user, spec_json, state, reason, submit_us, array_job_id, array_task_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  update_job_ = db_.prepare(
      "UPDATE jobs SET state=?2, reason=?3, start_us=?4, end_us=?5, exit_code=?6, "
      "requeue_count=?7, canonical_root=?8, canonical_replica=?9, nodelist=?10, array_job_id=?11, "
      "settled=?12, cost_micros=?13, fee_micros=?14, paid_to=?15, extra_replicas=?16, adaptive_replicas=?17, "
      "validators_wanted=?18, validator_pay_micros=?19 WHERE id=?1");
  insert_replica_ = db_.prepare(
      "INSERT INTO replicas (job_id, partition, state, price_micros, start_us, gpu_mask, validates) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  append_event_ = db_.prepare(
      "INSERT INTO job_events (job_id, seq, time_us, name, actor, context) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  update_replica_ = db_.prepare(
      "UPDATE replicas SET state=?2, cancel_requested=?3, outcome=?4, exit_code=?5, root=?6, "
      "manifest_json=?7, start_us=?8, end_us=?9, reason=?10, scores=?11 WHERE id=?1");
}

void JobStore::add_user(const User& user, const std::string& token_sha256) {
  if (user_exists(user.name))
    throw ApiError(Refusal::Conflict, "user_exists", "user " + user.name + " already exists");
  auto s = db_.prepare(
      "INSERT INTO users (name, role, token_sha256, created_us) "
      "VALUES (?1, ?2, ?3, strftime('%s','now') * 1000000)");
  s->bind(1, user.name).bind(2, user.role).bind(3, token_sha256).run();
}

std::optional<User> JobStore::find_user_by_token(const std::string& token_sha256) {
  auto s = db_.prepare("SELECT name, role FROM users WHERE token_sha256 = ?1");
  s->bind(1, token_sha256);
  if (!s->step()) return std::nullopt;
  return User{s->column_text(0), s->column_text(1)};
}

void JobStore::set_public_key(const std::string& user, const std::string& public_hex) {
  auto s = db_.prepare("UPDATE users SET public_key = ?2 WHERE name = ?1");
  s->bind(1, user).bind(2, public_hex).run();
}

std::string JobStore::public_key(const std::string& user) {
  auto s = db_.prepare("SELECT public_key FROM users WHERE name = ?1");
  s->bind(1, user);
  return s->step() ? s->column_text(0) : std::string();
}

void JobStore::add_bundle_owner(const std::string& user, const std::string& sha256, uint64_t bytes, int64_t now_us) {
  auto s = db_.prepare(
      "INSERT INTO bundle_owners (sha256, user, bytes, uploaded_us) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(sha256, user) DO UPDATE SET bytes = ?3, uploaded_us = ?4");
  s->bind(1, sha256).bind(2, user).bind(3, static_cast<int64_t>(bytes)).bind(4, now_us).run();
}

uint64_t JobStore::bundle_bytes_of(const std::string& user) {
  auto s = db_.prepare("SELECT COALESCE(SUM(bytes), 0) FROM bundle_owners WHERE user = ?1");
  s->bind(1, user);
  return s->step() ? static_cast<uint64_t>(s->column_int64(0)) : 0;
}

std::vector<std::pair<std::string, std::string>> JobStore::bundles_uploaded_before(int64_t before_us) {
  auto s = db_.prepare("SELECT sha256, user FROM bundle_owners WHERE uploaded_us < ?1");
  s->bind(1, before_us);
  std::vector<std::pair<std::string, std::string>> out;
  while (s->step()) out.emplace_back(s->column_text(0), s->column_text(1));
  return out;
}

void JobStore::remove_bundle_owner(const std::string& sha256, const std::string& user) {
  auto s = db_.prepare("DELETE FROM bundle_owners WHERE sha256 = ?1 AND user = ?2");
  s->bind(1, sha256).bind(2, user).run();
}

bool JobStore::bundle_has_owner(const std::string& sha256) {
  auto s = db_.prepare("SELECT 1 FROM bundle_owners WHERE sha256 = ?1");
  s->bind(1, sha256);
  return s->step();
}

bool JobStore::owns_bundle(const std::string& user, const std::string& sha256) {
  auto s = db_.prepare("SELECT 1 FROM bundle_owners WHERE sha256 = ?1 AND user = ?2");
  s->bind(1, sha256).bind(2, user);
  return s->step();
}

void JobStore::insert_secret(uint64_t job_id, const std::string& name, const std::string& value) {
  auto s = db_.prepare("INSERT INTO job_secrets (job_id, name, value_hex) VALUES (?1, ?2, ?3)");
  s->bind(1, static_cast<int64_t>(job_id)).bind(2, name).bind(3, to_hex(value)).run();
}

std::map<std::string, std::string> JobStore::load_secrets(uint64_t job_id) {
  auto s = db_.prepare("SELECT name, value_hex FROM job_secrets WHERE job_id = ?1");
  s->bind(1, static_cast<int64_t>(job_id));
  std::map<std::string, std::string> out;
  while (s->step()) out[s->column_text(0)] = from_hex(s->column_text(1)).value_or("");
  return out;
}

void JobStore::set_checkpoint(uint64_t job_id, uint32_t milestone, const std::string& sha256) {
  auto s = db_.prepare(
      "INSERT INTO job_checkpoints (job_id, milestone, sha256, uploaded) VALUES (?1, ?2, ?3, 0) "
      "ON CONFLICT(job_id) DO UPDATE SET milestone = ?2, sha256 = ?3, uploaded = 0 WHERE milestone < ?2");
  s->bind(1, static_cast<int64_t>(job_id)).bind(2, static_cast<int64_t>(milestone)).bind(3, sha256).run();
}

void JobStore::add_audit(uint64_t job_id, uint64_t audit_id) {
  auto s = db_.prepare("INSERT INTO job_audits (audit_id, job_id) VALUES (?1, ?2)");
  s->bind(1, static_cast<int64_t>(audit_id)).bind(2, static_cast<int64_t>(job_id)).run();
}

std::map<uint64_t, uint64_t> JobStore::load_audits() {
  auto s = db_.prepare("SELECT audit_id, job_id FROM job_audits");
  std::map<uint64_t, uint64_t> out;
  while (s->step()) out[static_cast<uint64_t>(s->column_int64(0))] = static_cast<uint64_t>(s->column_int64(1));
  return out;
}

void JobStore::set_checkpoint_uploaded(uint64_t job_id, const std::string& sha256) {
  auto s = db_.prepare("UPDATE job_checkpoints SET uploaded = 1 WHERE job_id = ?1 AND sha256 = ?2");
  s->bind(1, static_cast<int64_t>(job_id)).bind(2, sha256).run();
}

void JobStore::delete_secrets(uint64_t job_id) {
  auto s = db_.prepare("DELETE FROM job_secrets WHERE job_id = ?1");
  s->bind(1, static_cast<int64_t>(job_id)).run();
}

bool JobStore::user_exists(const std::string& name) {
  auto s = db_.prepare("SELECT 1 FROM users WHERE name = ?1");
  s->bind(1, name);
  return s->step();
}

uint64_t JobStore::insert_job(const Job& job) {
  insert_job_->bind(1, job.user)
      .bind(2, to_json(job.spec).dump())
      .bind(3, to_string(job.state))
      .bind(4, job.reason)
      .bind(5, job.submit_us)
      .bind(6, static_cast<int64_t>(job.array_job_id))
      .bind(7, job.array_task_id);
  insert_job_->run();
  return static_cast<uint64_t>(db_.last_insert_rowid());
}

void JobStore::update_job(const Job& job, const std::string& nodelist) {
  update_job_->bind(1, static_cast<int64_t>(job.id))
      .bind(2, to_string(job.state))
      .bind(3, job.reason)
      .bind(4, job.start_us)
      .bind(5, job.end_us)
      .bind(6, static_cast<int64_t>(job.exit_code))
      .bind(7, static_cast<int64_t>(job.requeue_count))
      .bind(8, job.canonical_root)
      .bind(9, static_cast<int64_t>(job.canonical_replica))
      .bind(10, nodelist)
      .bind(11, static_cast<int64_t>(job.array_job_id))
      .bind(12, static_cast<int64_t>(job.settled))
      .bind(13, job.cost_micros)
      .bind(14, job.fee_micros)
      .bind(15, job.paid_to)
      .bind(16, static_cast<int64_t>(job.extra_replicas))
      .bind(17, static_cast<int64_t>(job.adaptive_replicas))
      .bind(18, static_cast<int64_t>(job.validators_wanted))
      .bind(19, job.validator_pay_micros);
  update_job_->run();
}

void JobStore::update_job_spec(uint64_t id, const JobSpec& spec) {
  auto s = db_.prepare("UPDATE jobs SET spec_json = ?2 WHERE id = ?1");
  s->bind(1, static_cast<int64_t>(id)).bind(2, to_json(spec).dump()).run();
}

Job JobStore::read_job(Statement& s) {
  Job j;
  j.id = static_cast<uint64_t>(s.column_int64(0));
  j.user = s.column_text(1);
  j.spec = job_spec_from_json(nlohmann::json::parse(s.column_text(2)));
  j.state = job_state_from_string(s.column_text(3));
  j.reason = s.column_text(4);
  j.submit_us = s.column_int64(5);
  j.start_us = s.column_int64(6);
  j.end_us = s.column_int64(7);
  j.exit_code = static_cast<int>(s.column_int64(8));
  j.requeue_count = static_cast<uint32_t>(s.column_int64(9));
  j.array_job_id = static_cast<uint64_t>(s.column_int64(10));
  j.array_task_id = s.column_int64(11);
  j.canonical_root = s.column_text(12);
  j.canonical_replica = static_cast<uint64_t>(s.column_int64(13));
  j.settled = s.column_int64(14) != 0;
  j.cost_micros = s.column_int64(15);
  j.fee_micros = s.column_int64(16);
  j.paid_to = s.column_text(17);
  j.extra_replicas = static_cast<uint32_t>(s.column_int64(18));
  j.adaptive_replicas = static_cast<uint32_t>(s.column_int64(19));
  j.validators_wanted = static_cast<uint32_t>(s.column_int64(20));
  j.validator_pay_micros = s.column_int64(21);
  j.checkpoint_milestone = static_cast<uint32_t>(s.column_int64(22));  // NULL reads as 0, ""
  j.checkpoint_sha256 = s.column_text(23);
  j.checkpoint_uploaded = s.column_int64(24) != 0;
  return j;
}

void JobStore::append_event(JobEvent& e) {
  // The journal and the rows it explains are written together or not at all.
  if (!db_.in_transaction()) throw std::logic_error("a job event is appended only inside a transaction");
  append_event_->bind(1, static_cast<int64_t>(e.job_id))
      .bind(2, static_cast<int64_t>(e.seq))
      .bind(3, e.time_us)
      .bind(4, std::string(to_string(e.kind)))
      .bind(5, e.actor)
      .bind(6, e.context.dump());
  append_event_->run();  // a seq given twice is refused by the key: the journal never forks
}

std::vector<JobEvent> JobStore::load_events(uint64_t job_id) {
  auto s = db_.prepare("SELECT seq, time_us, name, actor, context FROM job_events WHERE job_id = ?1 ORDER BY seq");
  s->bind(1, static_cast<int64_t>(job_id));
  std::vector<JobEvent> out;
  while (s->step()) {
    JobEvent e;
    e.job_id = job_id;
    e.seq = static_cast<uint32_t>(s->column_int64(0));
    e.time_us = s->column_int64(1);
    e.kind = event_kind_from_string(s->column_text(2));
    e.actor = s->column_text(3);
    e.context = nlohmann::json::parse(s->column_text(4));
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<Job> JobStore::load_job(uint64_t id) {
  auto s = db_.prepare(std::string("SELECT ") + kJobColumns + kJournalSeqColumn + " FROM jobs WHERE id = ?1");
  s->bind(1, static_cast<int64_t>(id));
  if (!s->step()) return std::nullopt;
  Job j = read_job(*s);
  j.journal_seq = static_cast<uint32_t>(s->column_int64(kJobColumnCount));
  for (const auto& r : load_replicas(id)) (r.validates ? j.validations : j.replicas).push_back(r.id);
  return j;
}

std::vector<Job> JobStore::load_finished_jobs(int64_t since_us, size_t limit) {
  auto s = db_.prepare(std::string("SELECT ") + kJobColumns +
                       " FROM jobs WHERE end_us >= ?1 AND end_us > 0 ORDER BY end_us, id "
                       "LIMIT ?2");
  s->bind(1, since_us).bind(2, static_cast<int64_t>(limit));
  std::vector<Job> jobs;
  while (s->step()) jobs.push_back(read_job(*s));
  return jobs;
}

std::vector<std::pair<Job, std::string>> JobStore::load_finished_with_nodes(int64_t since_us, size_t limit) {
  auto s = db_.prepare(std::string("SELECT ") + kJobColumns +
                       ", nodelist FROM jobs WHERE end_us >= ?1 AND end_us > 0 ORDER BY end_us, id LIMIT ?2");
  s->bind(1, since_us).bind(2, static_cast<int64_t>(limit));
  std::vector<std::pair<Job, std::string>> out;
  while (s->step()) {
    Job job = read_job(*s);
    out.emplace_back(std::move(job), s->column_text(kJobColumnCount));
  }
  return out;
}

std::string JobStore::nodelist_of(uint64_t job_id) {
  auto s = db_.prepare("SELECT nodelist FROM jobs WHERE id = ?1");
  s->bind(1, static_cast<int64_t>(job_id));
  return s->step() ? s->column_text(0) : std::string();
}

std::vector<Job> JobStore::load_array_tasks(uint64_t array_job_id) {
  auto s = db_.prepare(std::string("SELECT ") + kJobColumns +
                       " FROM jobs WHERE array_job_id = ?1 AND array_task_id >= 0 ORDER BY id");
  s->bind(1, static_cast<int64_t>(array_job_id));
  std::vector<Job> jobs;
  while (s->step()) jobs.push_back(read_job(*s));
  return jobs;
}

uint64_t JobStore::insert_replica(const Replica& r) {
  insert_replica_->bind(1, static_cast<int64_t>(r.job_id))
      .bind(2, r.partition)
      .bind(3, to_string(r.state))
      .bind(4, r.price_micros)
      .bind(5, r.start_us)
      .bind(6, static_cast<int64_t>(r.gpu_mask))
      .bind(7, static_cast<int64_t>(r.validates));
  insert_replica_->run();
  return static_cast<uint64_t>(db_.last_insert_rowid());
}

void JobStore::update_replica(const Replica& r) {
  update_replica_->bind(1, static_cast<int64_t>(r.id))
      .bind(2, to_string(r.state))
      .bind(3, static_cast<int64_t>(r.cancel_requested))
      .bind(4, r.outcome)
      .bind(5, static_cast<int64_t>(r.exit_code))
      .bind(6, r.root)
      .bind(7, r.manifest_json)
      .bind(8, r.start_us)
      .bind(9, r.end_us)
      .bind(10, r.reason)
      .bind(11, scores_text(r.scores));
  update_replica_->run();
}

Replica JobStore::read_replica(Statement& s) {
  Replica r;
  r.id = static_cast<uint64_t>(s.column_int64(0));
  r.job_id = static_cast<uint64_t>(s.column_int64(1));
  r.partition = s.column_text(2);
  r.state = replica_state_from_string(s.column_text(3));
  r.cancel_requested = s.column_int64(4) != 0;
  r.outcome = s.column_text(5);
  r.exit_code = static_cast<int>(s.column_int64(6));
  r.root = s.column_text(7);
  r.manifest_json = s.column_text(8);
  r.price_micros = s.column_int64(9);
  r.start_us = s.column_int64(10);
  r.end_us = s.column_int64(11);
  r.reason = s.column_text(12);
  r.gpu_mask = static_cast<uint64_t>(s.column_int64(13));
  r.validates = s.column_int64(14) != 0;
  r.scores = scores_from_text(s.column_text(15));
  return r;
}

std::vector<Replica> JobStore::load_replicas(uint64_t job_id) {
  auto s = db_.prepare(std::string("SELECT ") + kReplicaColumns +
                       " FROM replicas WHERE job_id = ?1 ORDER BY id");
  s->bind(1, static_cast<int64_t>(job_id));
  std::vector<Replica> out;
  while (s->step()) out.push_back(read_replica(*s));
  return out;
}

void JobStore::upsert_partition(const Partition& p) {
  auto s = db_.prepare(
      "INSERT INTO partitions (name, owner, cpus, memory_mb, gpus, gpu_type, price_micros, "
      "drain_requested, registered_us, features, gpu_price_micros, operator, reputation, reputation_us, "
      "valid_streak, isolation, egress, nodes, registries, gpu_offer, validator) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
      "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) ON CONFLICT(name) DO UPDATE SET owner=?2, cpus=?3, memory_mb=?4, gpus=?5, gpu_type=?6, "
      "price_micros=?7, drain_requested=?8, features=?10, gpu_price_micros=?11, operator=?12, "
      "reputation=?13, reputation_us=?14, valid_streak=?15, isolation=?16, egress=?17, nodes=?18, registries=?19, gpu_offer=?20, validator=?21");
  std::string features = join(p.features, ",");
  s->bind(1, p.name)
      .bind(2, p.owner)
      .bind(3, static_cast<int64_t>(p.cpus))
      .bind(4, static_cast<int64_t>(p.memory_mb))
      .bind(5, static_cast<int64_t>(p.gpus))
      .bind(6, p.gpu_type)
      .bind(7, p.price_micros)
      .bind(8, static_cast<int64_t>(p.drain_requested))
      .bind(9, p.registered_us)
      .bind(10, features)
      .bind(11, p.gpu_price_micros)
      .bind(12, p.operator_name)
      .bind(13, p.reputation)
      .bind(14, p.reputation_us)
      .bind(15, static_cast<int64_t>(p.valid_streak))
      .bind(16, p.isolation)
      .bind(17, static_cast<int64_t>(p.egress))
      .bind(18, static_cast<int64_t>(p.nodes))
      .bind(19, join(p.registries, ","))
      .bind(20, gpu_offer_text(p))
      .bind(21, static_cast<int64_t>(p.validator))
      .run();
}

JobStore::Snapshot JobStore::load_snapshot(int64_t finished_since_us) {
  Snapshot snap;
  auto jobs = db_.prepare(std::string("SELECT ") + kJobColumns + kJournalSeqColumn +
                          " FROM jobs WHERE end_us = 0 OR end_us >= ?1 OR settled = 0 ORDER BY id");
  jobs->bind(1, finished_since_us);
  while (jobs->step()) {
    snap.jobs.push_back(read_job(*jobs));
    snap.jobs.back().journal_seq = static_cast<uint32_t>(jobs->column_int64(kJobColumnCount));
  }
  auto reps = db_.prepare(std::string("SELECT ") + kReplicaColumns +
                          " FROM replicas WHERE job_id IN (SELECT id FROM jobs WHERE end_us = 0 "
                          "OR end_us >= ?1 OR settled = 0) ORDER BY id");
  reps->bind(1, finished_since_us);
  while (reps->step()) snap.replicas.push_back(read_replica(*reps));
  auto parts = db_.prepare(
      "SELECT name, owner, cpus, memory_mb, gpus, gpu_type, price_micros, drain_requested, "
      "registered_us, features, gpu_price_micros, operator, reputation, reputation_us, valid_streak, isolation, egress, nodes, registries, gpu_offer, "
      "validator FROM partitions "
      "ORDER BY name");
  while (parts->step()) {
    Partition p;
    p.name = parts->column_text(0);
    p.owner = parts->column_text(1);
    p.cpus = static_cast<uint32_t>(parts->column_int64(2));
    p.memory_mb = static_cast<uint64_t>(parts->column_int64(3));
    p.gpus = static_cast<uint32_t>(parts->column_int64(4));
    p.gpu_type = parts->column_text(5);
    p.price_micros = parts->column_int64(6);
    p.drain_requested = parts->column_int64(7) != 0;
    p.registered_us = parts->column_int64(8);
    p.features = split_list(parts->column_text(9));
    p.gpu_price_micros = parts->column_int64(10);
    p.operator_name = parts->column_text(11);
    p.reputation = parts->column_double(12);
    p.reputation_us = parts->column_int64(13);
    p.valid_streak = static_cast<uint32_t>(parts->column_int64(14));
    p.isolation = parts->column_text(15);
    p.egress = parts->column_int64(16) != 0;
    p.nodes = static_cast<uint32_t>(parts->column_int64(17));
    p.registries = split_list(parts->column_text(18));
    read_gpu_offer_text(parts->column_text(19), p);
    p.validator = parts->column_int64(20) != 0;
    snap.partitions.push_back(p);
  }
  return snap;
}

}  // namespace og
