// Disputes: a requester contests a job's accepted result, an audit job re-runs it on
// established providers, and its verdict may overturn the job (Controller::dispute and
// Controller::settle_dispute; dispute is part of Submissions, submissions.hpp).
#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "core/verify_mode.hpp"
#include "core/log.hpp"
#include "core/time_util.hpp"
#include "scheduler/controller.hpp"
#include "scheduler/reputation.hpp"

namespace og {

uint64_t Controller::dispute(const User& user, uint64_t job_id) {
  JobSpec audit;
  {
    std::lock_guard lock(mu_);
    const Job found = any_job(job_id);
    const Job* job = &found;
    if (job->user != user.name)
      throw ApiError(Refusal::Forbidden, "forbidden", "only job " + std::to_string(job_id) + "'s requester may dispute its result");
    std::string which = "job " + std::to_string(job_id);
    if (job->canonical_root.empty() || !is_finished(job->state))
      throw ApiError(Refusal::Conflict, "nothing_to_dispute", which + " has no accepted result to dispute");
    if (now_unix_us() > job->end_us + options_.dispute_window_s * 1'000'000)
      throw ApiError(Refusal::Conflict, "dispute_window_closed", which + " ended more than " +
                                                       std::to_string(options_.dispute_window_s) +
                                                       " s ago (og-schedd --dispute-window): its result stands");
    for (const auto& [audit_id, disputed] : audit_of_)
      if (disputed == job_id)
        throw ApiError(Refusal::Conflict, "already_disputed", which + " is disputed already: audit job " + std::to_string(audit_id));
    if (auto mode = parse_verify_mode(job->spec.verify); mode && mode->kind == VerifyMode::Kind::Score)
      throw ApiError(Refusal::Conflict, "not_disputable",
                     which + " was accepted by its validators' scores, which were checked already (second opinions, "
                             "slashing): an audit could only score it again; submit it again to have it re-run");
    if (!job->spec.secrets.empty())
      throw ApiError(Refusal::Conflict, "secrets_gone", which + "'s secrets went with it: submit it again to have it re-run");
    if (!job->spec.bundle_sha256.empty() && !store_.owns_bundle(user.name, job->spec.bundle_sha256))
      throw ApiError(Refusal::Conflict, "bundle_gone", which + "'s bundle is no longer kept: submit it again to have it re-run");
    // The same signed job (the signature does not cover replicas, times or names), run
    // again by three providers: a majority of them decides.
    audit = job->spec;
    audit.replicas = 3;
    audit.quorum = 2;
    audit.hold = false;
    audit.dependency.clear();
    audit.begin_time = 0;
    audit.array.clear();
    audit.comment = "audit of job " + std::to_string(job_id);
  }
  try {
    return submit(user, audit, {}, job_id).front();
  } catch (const ApiError&) {
    throw;
  } catch (const std::exception&) {  // a second dispute at the same moment: the store's unique key
    throw ApiError(Refusal::Conflict, "already_disputed", "job " + std::to_string(job_id) + " is disputed already");
  }
}

bool Controller::settle_dispute(const Job& audit, bool proven, int64_t now_us) {
  uint64_t disputed_id = audit_of_.at(audit.id);
  std::optional<Job> stored;
  Job* disputed = nullptr;
  if (auto it = jobs_.find(disputed_id); it != jobs_.end()) {
    disputed = &it->second;
  } else if ((stored = store_.load_job(disputed_id))) {
    disputed = &*stored;
  }
  auto canonical = replicas_.find(audit.canonical_replica);
  if (!disputed || canonical == replicas_.end() || !proven) {
    log_info("dispute_settled", {{"job", std::to_string(disputed_id)}, {"audit", std::to_string(audit.id)},
                                 {"verdict", proven ? "no_result" : "unproven"}});
    return true;
  }
  std::vector<Replica> ran = store_.load_replicas(disputed_id);
  auto old = std::find_if(ran.begin(), ran.end(), [&](const Replica& r) { return r.id == disputed->canonical_replica; });
  if (old == ran.end()) return true;
  // Every comparison first (fuzzy ones are made off the lock): the audit's result against
  // the old one, and the old one against each replica that may have agreed on it.
  std::optional<bool> same = agreement(audit.id, audit.spec, canonical->second, *old);
  std::vector<std::pair<const Replica*, std::optional<bool>>> agreed_on_old;
  for (const Replica& r : ran)
    if (r.state == ReplicaState::Done && r.reason.empty())
      agreed_on_old.emplace_back(&r, agreement(audit.id, disputed->spec, *old, r));
  if (!same || std::any_of(agreed_on_old.begin(), agreed_on_old.end(), [](const auto& a) { return !a.second; }))
    return false;
  log_info("dispute_settled", {{"job", std::to_string(disputed_id)}, {"audit", std::to_string(audit.id)},
                               {"verdict", *same ? "stands" : "overturned"}});
  if (*same || disputed->reason == reason::kOverturned) return true;
  // Overturned: every provider whose replica agreed on the old result answers with its bond
  // (as far as it goes), half to the requester, and loses its trust and reputation.
  std::vector<Transfer> slashes;
  std::map<std::string, int64_t> bonds;
  std::string prefix = "dispute:job:" + std::to_string(disputed_id) + ":slash:";
  for (const auto& [replica, agrees] : agreed_on_old) {
    if (!*agrees) continue;
    const Replica& r = *replica;
    auto p = partitions_.find(r.partition);
    std::string provider = p == partitions_.end() ? r.partition : p->second.owner;
    auto [bond, fresh] = bonds.try_emplace(provider, ledger_->balance(bond_account(provider)));
    int64_t slash = std::min(bond->second, options_.economics.slash_micros);
    bond->second -= slash;
    if (slash / 2 > 0)
      slashes.push_back({prefix + std::to_string(r.id) + ":requester", bond_account(provider),
                         wallet_account(disputed->user), slash / 2, "overturned by audit, job " + std::to_string(disputed_id)});
    if (slash - slash / 2 > 0)
      slashes.push_back({prefix + std::to_string(r.id) + ":treasury", bond_account(provider), kTreasuryAccount,
                         slash - slash / 2, "overturned by audit, job " + std::to_string(disputed_id)});
    if (p != partitions_.end()) {
      record_reputation(p->second, ReputationEvent::Invalid, now_us, options_.reputation);
      p->second.valid_streak = 0;
      store_.upsert_partition(p->second);
    }
  }
  ledger_->apply(slashes);
  auto txn = begin();
  journal(*disputed, EventKind::Overturned, "og-schedd", {{"audit", audit.id}}, now_us);
  if (stored) store_.update_job(*disputed, store_.nodelist_of(disputed_id));
  else persist(*disputed);
  txn.commit();
  return true;
}

}  // namespace og
