// What a requester's signature covers: everything that decides what code runs on a
// provider's machine and how its result is judged — the script, its arguments and
// environment, the bundle of input files (by digest), the network and isolation it asked
// for, the names of its secrets, and what the script sees of its job (name, array, task
// and CPU counts, GPUs, submit directory) — for a named user and key. Memory, prices and
// times are left out: og-schedd fills defaults into those, and the escrow binds them.
#pragma once

#include <string>

#include "core/job_spec.hpp"
#include "core/signature.hpp"

namespace og {

// The exact bytes signed (deterministic: JSON with sorted keys).
std::string job_signing_payload(const std::string& user, const JobSpec& spec);
// Sets spec.signer and spec.signature.
void sign_job(const std::string& user, JobSpec& spec, const KeyPair& key);
// "" when the signature is present and good for this user and spec, else what is wrong.
std::string job_signature_problem(const std::string& user, const JobSpec& spec);

}  // namespace og
