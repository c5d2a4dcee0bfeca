// Validation (declared in controller.hpp): --verify=score. Once a job's replicas have all
// reported, validation tasks — leases of the job on validator partitions whose operators
// ran none of its replicas — run its scoring script over the replicas' outputs; their
// scores decide the verdict (score_verdict.hpp). A validation task lost, handed back or
// ending without scores goes to another validator.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "core/verify_mode.hpp"
#include "scheduler/controller.hpp"
#include "scheduler/placement.hpp"

namespace og {
namespace {

// Validation tasks whose scoring script ran and gave no scores before the job gives up on
// being scored: the script, not the validators, is then what fails. Tasks lost or handed
// back by their validators do not count: those go to another validator.
constexpr uint32_t kMaxFailedValidations = 3;
// A validation task is written off this long after its time limit (the job's) has passed
// without a report: its worker should have stopped it; another validator takes it.
constexpr int64_t kValidationGraceUs = 60'000'000;

}  // namespace

std::vector<uint64_t> Controller::scored_replicas(const Job& job) const {
  std::vector<uint64_t> out;
  for (uint64_t id : job.replicas) {
    const Replica& r = replicas_.at(id);
    if (r.state == ReplicaState::Done && r.outcome == "COMPLETED" && r.exit_code == 0 && r.reason.empty())
      out.push_back(id);
  }
  return out;
}

std::vector<ValidatorScores> Controller::validator_scores(const Job& job) const {
  std::vector<ValidatorScores> out;
  for (uint64_t id : job.validations)
    if (const Replica& v = replicas_.at(id); v.state == ReplicaState::Done && !v.scores.empty())
      out.push_back({v.id, v.scores});
  return out;
}

bool Controller::evaluate_scores(Job& job, int64_t now_us) {
  auto mode = parse_verify_mode(job.spec.verify);
  const bool replicas_running = needed_replicas(job) > 0 || std::any_of(job.replicas.begin(), job.replicas.end(), [&](uint64_t id) {
    return is_active(replicas_.at(id).state);
  });
  if (replicas_running) {  // every replica is scored together, once all have reported
    persist(job);
    return true;
  }
  const auto replicas = scored_replicas(job);
  if (replicas.empty()) return false;  // nothing to score: how they failed is the verdict
  validating_.insert(job.id);  // looked at again by every pass until it is decided
  // A task held past its time limit without a report: written off (its worker is told to
  // stop it), and another validator takes it.
  const int64_t limit_us = job.spec.time_limit_s > 0 ? job.spec.time_limit_s * 1'000'000 : kNever / 4;
  for (uint64_t id : std::vector<uint64_t>(job.validations)) {
    Replica& v = replicas_.at(id);
    if (v.state == ReplicaState::Running && now_us > v.start_us + limit_us + kValidationGraceUs)
      record(job, &v, EventKind::ReplicaLost, "og-schedd", {{"reason", "no scores within the time limit"}}, now_us);
  }
  uint32_t active = 0, failed = 0;
  for (uint64_t id : job.validations) {
    const Replica& v = replicas_.at(id);
    if (is_active(v.state)) ++active;
    else if (v.state == ReplicaState::Done && v.scores.empty()) ++failed;
  }
  // Its replicas did their part: when no validator can score it — its script fails on
  // three, or none takes it in time — the job ends without a result and its replicas are
  // paid (settle()).
  // (The wait counts from the last thing that happened: the replicas' reports, or a
  // validation task ending; a task still running is bounded by its time limit above.)
  int64_t last_us = 0;
  for (uint64_t id : replicas) last_us = std::max(last_us, replicas_.at(id).end_us);
  for (uint64_t id : job.validations) last_us = std::max(last_us, replicas_.at(id).end_us);
  const int64_t deadline_us = last_us + options_.validation.wait_s * 1'000'000;
  if (failed >= kMaxFailedValidations || (active == 0 && now_us > deadline_us)) {
    validating_.erase(job.id);
    record(job, nullptr, EventKind::ScoresRejected, "og-schedd",
           {{"reason", reason::kValidationFailed},
            {"why", failed >= kMaxFailedValidations ? "its scoring script gave no scores on three validators"
                                                     : "no validator scored it in time"}},
           now_us);
    return true;
  }
  // Validators the mesh could still give it (up, of other identities, able to run it; busy
  // or not): when there are none, the answers in hand decide.
  const size_t more = eligible_validators(job).size();
  if (job.validators_wanted == 0) {
    // Drawn once and kept (a restart does not draw again): whether a second validator
    // checks this one, unknown to it while it scores — where the mesh has a second.
    bool second = more >= 2 && std::bernoulli_distribution(options_.validation.second_opinion)(spot_checks_);
    record(job, nullptr, EventKind::ValidatorsWanted, "og-schedd",
           {{"validators", second ? 2 : 1}, {"why", second ? "a random second opinion" : "the replicas have reported"}},
           now_us);
  }
  const auto done = validator_scores(job);
  ScoreVerdict verdict = decide_scores(replicas, done, job.validators_wanted, mode->threshold,
                                       options_.validation.tolerance, more > 0 || active > 0);
  if (!verdict.decided) {
    if (verdict.validators > job.validators_wanted)
      record(job, nullptr, EventKind::ValidatorsWanted, "og-schedd",
             {{"validators", verdict.validators}, {"why", verdict.why}}, now_us);
    uint32_t missing = job.validators_wanted - std::min<uint32_t>(job.validators_wanted, done.size() + active);
    job.reason = missing > 0 && place_validators(job, missing, now_us) < missing ? reason::kValidators
                                                                                 : reason::kValidation;
    persist(job);
    return true;
  }
  validating_.erase(job.id);
  // The verdict goes into the journal whole: settlement pays by it.
  nlohmann::json context = verdict_json(verdict);
  if (verdict.best != 0) {
    ++counters_.verdicts["scored"];
    context.update({{"lease", verdict.best}, {"root", replicas_.at(verdict.best).root}, {"state", "COMPLETED"},
                    {"exit_code", 0}, {"reason", reason::kNone}});
    record(job, nullptr, EventKind::Verified, "og-schedd", std::move(context), now_us);
  } else {
    ++counters_.verdicts["below_threshold"];
    context["reason"] = reason::kBelowThreshold;
    record(job, nullptr, EventKind::ScoresRejected, "og-schedd", std::move(context), now_us);
  }
  return true;
}

std::vector<Partition*> Controller::eligible_validators(const Job& job) {
  // Who may not score it: whoever answers for a replica of it, or scored it before (a
  // second opinion from the first validator's operator would be no second opinion).
  std::set<std::string> taken, used;
  for (const auto* ids : {&job.replicas, &job.validations})
    for (uint64_t id : *ids) {
      const std::string& name = replicas_.at(id).partition;
      used.insert(name);
      if (auto p = partitions_.find(name); p != partitions_.end())
        for (const auto& identity : identities_of(p->second)) taken.insert(identity);
    }
  std::vector<Partition*> out;
  std::set<std::string> seen;  // one per identity: two partitions of one operator are one opinion
  OfferMatcher offer(job.spec);
  for (auto& [name, p] : partitions_)
    if (p.state == PartitionState::Up && !used.count(name) && !shares_identity(taken, p) && offer.can_validate(p) &&
        first_of_its_operator(seen, p))
      out.push_back(&p);
  return out;
}

uint32_t Controller::place_validators(Job& job, uint32_t count, int64_t now_us) {
  uint32_t placed = 0;
  for (; placed < count; ++placed) {
    std::vector<Partition*> offers = eligible_validators(job);
    std::erase_if(offers, [&](const Partition* p) { return !fits_now(*p, job.spec); });
    if (offers.empty()) break;
    // Drawn by reputation: no one validator decides every job it can take.
    std::vector<double> weights;
    for (const Partition* p : offers) weights.push_back(placement_weight(*p));
    Partition& p = *offers[std::discrete_distribution<size_t>(weights.begin(), weights.end())(placement_rng_)];
    Replica r;
    r.job_id = job.id;
    r.partition = p.name;
    r.validates = true;
    r.start_us = now_us;
    Allocation held = allocation_for(p, job.spec, now_us);
    r.gpu_mask = held.gpu_mask;
    p.allocate(job.id, held);
    r.id = store_.insert_replica(r);
    active_on_[p.name].insert(r.id);
    job.validations.push_back(r.id);
    undelivered_[p.name].push_back(r.id);
    Replica& live = replicas_[r.id] = r;
    record(job, &live, EventKind::ReplicaAssigned, "og-schedd", {{"partition", p.name}, {"price", 0}, {"validates", true}},
           now_us);
    wake_partition(p.name);
    log_info("validator_assigned", {{"job", std::to_string(job.id)}, {"lease", std::to_string(r.id)}, {"partition", p.name}});
  }
  return placed;
}

void Controller::complete_validation(Replica& r, const CompletionReport& report, int64_t now_us) {
  Job& job = jobs_.at(r.job_id);
  nlohmann::json reported = {{"outcome", to_string(report.outcome)}, {"exit_code", report.exit_code}, {"root", ""}};
  // Scores count only as an answer about every replica, each the outputs it reported.
  std::string problem;
  const auto replicas = scored_replicas(job);
  if (report.outcome != Outcome::Completed || report.exit_code != 0 || !report.scores) {
    problem = "the scoring script gave no scores";
  } else {
    nlohmann::json scores = nlohmann::json::object();
    for (uint64_t id : replicas) {
      auto it = report.scores->find(id);
      if (it == report.scores->end()) {
        problem = "no score for lease " + std::to_string(id);
        break;
      }
      if (it->second.second != replicas_.at(id).root) {
        problem = "lease " + std::to_string(id) + " scored from outputs it did not report";
        break;
      }
      scores[std::to_string(id)] = it->second.first;
    }
    if (problem.empty() && report.scores->size() != replicas.size()) problem = "scores for leases it was not given";
    if (problem.empty()) reported["scores"] = std::move(scores);
  }
  if (!problem.empty()) {
    reported["problem"] = problem;
    log_warn("validation_failed", {{"job", std::to_string(job.id)}, {"lease", std::to_string(r.id)}, {"why", problem}});
  }
  record(job, &r, EventKind::ReplicaReported, r.partition, std::move(reported), now_us);
  if (!is_finished(job.state)) evaluate_scores(job, now_us);
}

}  // namespace og
