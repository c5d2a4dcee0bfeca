// JSON shapes of the REST API, after slurmrestd's where the concept is the same
// ({"jobs":[{"job_id":…,"job_state":…}]}, {"partitions":[{"name":…}]}).
#pragma once

#include <nlohmann/json.hpp>

#include "scheduler/services.hpp"

namespace og {

nlohmann::json job_json(const JobView& view);
nlohmann::json replica_json(const Replica& replica, bool with_manifest);
nlohmann::json partition_json(const Partition& partition, int64_t now_mono_us);
// What a worker receives for one lease: the job spec plus the ids it needs.
nlohmann::json lease_json(const Lease& lease);
// The indices of a GPU mask's set bits, lowest first.
std::vector<uint32_t> gpu_indices(uint64_t mask);

}  // namespace og
