// What the API's handlers share (scheduler/api*.cpp): answers and listings in JSON.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http_server.hpp"
#include "scheduler/services.hpp"

namespace og::api {

HttpResponse ok(const nlohmann::json& j);
HttpResponse created(const nlohmann::json& j);
// A positive integer from a path or query, else Invalid naming `what`.
uint64_t parse_id(const std::string& text, const char* what);
// A number of 0 or more ("" = 0), else Invalid naming `what`.
uint64_t parse_count(const std::string& text, const char* what);
JobFilter filter_from_query(const HttpRequest& req);
nlohmann::json estimate_json(const StartEstimate& e);
// {"jobs":[...]} written one job at a time (bench/load.sh: as one JSON tree, a queue of
// 10,000 jobs took og-schedd from 45 to 170 MiB for the length of a listing).
HttpResponse jobs_listing(const std::vector<JobView>& views, const std::map<uint64_t, StartEstimate>& estimates,
                          std::optional<size_t> matched = std::nullopt);
nlohmann::json jobs_json(const std::vector<JobView>& views);

}  // namespace og::api
