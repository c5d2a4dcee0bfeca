// What og-sbatch sends besides the job spec: the bundle of input files (uploaded first,
// by digest), the secrets (sent once, to og-schedd only), and the requester's signature
// over what will run. The signing key is created on first use and registered with
// og-schedd if it has none for this user.
#pragma once

#include <nlohmann/json.hpp>

#include "core/http_client.hpp"
#include "core/job_spec.hpp"
#include "core/signature.hpp"
#include "jobscripts/directives.hpp"

namespace og::cli {

// Makes sure og-schedd holds `key` (from `dir`) as this user's signing key, registering
// it where it holds none; returns the user's name. Throws og::UsageError when og-schedd
// holds another key. (prepare_signed_submission asks once per og-schedd and key, and
// remembers the answer next to the key.)
std::string register_key(HttpClient& client, const KeyPair& key, const std::string& dir);

// Fills spec.bundle_*, spec.secrets, spec.signer and spec.signature, and body["secrets"].
// `upload`: store the bundle with og-schedd now (false for --test-only). Throws
// og::UsageError naming the file or setting at fault.
void prepare_signed_submission(HttpClient& client, JobSpec& spec, const jobscripts::SubmitFlags& flags,
                               nlohmann::json& body, bool upload);

}  // namespace og::cli
