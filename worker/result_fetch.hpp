// An earlier job's accepted result, fetched from og-schedd for a job that reads it as a
// data set (--data NAME=job:ID) and mounted read-only at /data/NAME by the jail: the
// manifest first, then each file, checked against its digest before the job sees it.
#pragma once

#include <cstdint>
#include <string>

#include "core/http_client.hpp"
#include "verify/manifest.hpp"

namespace og {

// Fills `into` (created here; must not exist) with the result's files, read-only, and
// returns their manifest. Throws ImageStoreError (BadImage) for what og-schedd refuses or
// sends wrong, and for a result larger than max_bytes (before anything is fetched);
// std::runtime_error for what may work later (og-schedd unreachable or failing).
Manifest fetch_job_result(HttpClient& client, uint64_t lease_id, const std::string& name, const std::string& into,
                          uint64_t max_bytes);

}  // namespace og
