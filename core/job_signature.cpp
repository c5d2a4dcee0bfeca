#include "core/job_signature.hpp"

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"

namespace og {

std::string job_signing_payload(const std::string& user, const JobSpec& spec) {
  nlohmann::json covered = {
      {"user", user},
      {"signer", spec.signer},
      {"script_sha256", sha256_hex(spec.script)},
      {"script_args", spec.script_args},
      {"environment", spec.environment},
      {"export_mode", spec.export_mode},
      {"chdir", spec.chdir},
      {"output", spec.output},
      {"error", spec.error},
      {"bundle_sha256", spec.bundle_sha256},
      {"bundle_bytes", spec.bundle_bytes},
      {"network", spec.network},
      {"isolation", spec.isolation},
      {"verify", spec.verify},
      {"exclude_stdio", spec.exclude_stdio},
      {"secrets", spec.secrets},
      // What the script sees of its own job (SLURM_* and OG_* variables, %x in names).
      {"name", spec.name},
      {"array", spec.array},
      {"nodes", spec.nodes},
      {"ntasks", spec.ntasks},
      {"ntasks_per_node", spec.ntasks_per_node},
      {"cpus_per_task", spec.cpus_per_task},
      {"gpus", spec.gpus},
      // Not submit_dir: a path on the requester's machine, which providers never see.
  };
  // Covered where asked for, so that a job signed before they existed still verifies.
  for (const auto& [key, value] : {std::pair<const char*, uint64_t>{"nodes_max", spec.nodes_max},
                                   {"gpus_per_node", spec.gpus_per_node},
                                   {"gpus_per_task", spec.gpus_per_task}})
    if (value != 0) covered[key] = value;
  // What the job runs in and on: a provider checks each against its digest, and the
  // signature stops anyone on the way from swapping one digest for another.
  if (!spec.image.empty()) covered["image"] = spec.image;
  if (!spec.data.empty()) covered["data"] = spec.data;
  return "opengrid-job-v1\n" + covered.dump();
}

void sign_job(const std::string& user, JobSpec& spec, const KeyPair& key) {
  spec.signer = key.public_hex;
  spec.signature = ed25519_sign(key, job_signing_payload(user, spec));
}

std::string job_signature_problem(const std::string& user, const JobSpec& spec) {
  if (spec.signature.empty() || spec.signer.empty()) return "the job is not signed";
  if (!ed25519_verify(spec.signer, job_signing_payload(user, spec), spec.signature))
    return "the signature does not match the job (altered after signing, or signed for another user)";
  return "";
}

}  // namespace og
