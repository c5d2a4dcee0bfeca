#include "worker/lease.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/verify_mode.hpp"

namespace og {

LeaseTask lease_from_json(const nlohmann::json& j) {
  try {
    LeaseTask t;
    t.lease_id = j.at("lease_id").get<uint64_t>();
    t.job_id = j.at("job_id").get<uint64_t>();
    t.user = j.at("user").get<std::string>();
    t.array_job_id = j.value("array_job_id", uint64_t{0});
    t.array_task_id = j.value("array_task_id", int64_t{-1});
    t.requeue_count = j.value("requeue_count", 0u);
    t.gpu_indices = j.value("gpu_indices", std::vector<uint32_t>{});
    t.spec = job_spec_from_json(j.at("spec"));
    if (j.contains("resume") && j["resume"].is_object()) {
      t.resume_milestone = j["resume"].at("milestone").get<uint32_t>();
      t.resume_sha256 = j["resume"].at("sha256").get<std::string>();
      if (!is_sha256_hex(t.resume_sha256)) throw ApiError(Refusal::Upstream, "bad_lease", "malformed resume digest from og-schedd");
    }
    if (j.contains("validation") && j["validation"].is_object()) {
      // The script is the one the requester signed, whatever og-schedd says it is.
      auto mode = parse_verify_mode(t.spec.verify);
      if (!mode || mode->kind != VerifyMode::Kind::Score)
        throw ApiError(Refusal::Upstream, "bad_lease", "a validation task for a job not verified by score");
      auto& v = t.validation.emplace();
      v.script = mode->score_script;
      for (const auto& r : j["validation"].at("replicas")) {
        v.replicas.emplace_back(r.at("lease").get<uint64_t>(), r.at("root").get<std::string>());
        if (!is_sha256_hex(v.replicas.back().second))
          throw ApiError(Refusal::Upstream, "bad_lease", "malformed replica root from og-schedd");
      }
      if (v.replicas.empty()) throw ApiError(Refusal::Upstream, "bad_lease", "a validation task with nothing to score");
    }
    return t;
  } catch (const nlohmann::json::exception& e) {
    throw ApiError(Refusal::Upstream, "bad_lease", std::string("malformed lease from og-schedd: ") + e.what());
  }
}

}  // namespace og
