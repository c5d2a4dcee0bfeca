// The REST API of og-schedd under /og/v1/: authentication and rate limits, then a table of
// routes — method, path pattern, handler — declared per resource (jobs in api_jobs.cpp;
// partitions, leases and artifacts in api_providers.cpp; wallets, users and metrics in
// api_accounts.cpp). Handlers decode the request and call the domain, which refuses by
// kind (core/error.hpp); only this layer turns a refusal into a status code. Every error
// is {"error":{"code":…,"message":…}}.
#pragma once

#include <string>
#include <vector>

#include "core/http_server.hpp"
#include "scheduler/artifact_store.hpp"
#include "scheduler/live_output.hpp"
#include "scheduler/services.hpp"
#include "scheduler/rate_limit.hpp"

namespace og {

class Api {
 public:
  // Bundles (requesters' inputs) are kept apart from artifacts (jobs' outputs): a manifest
  // can name only outputs, so no job's result can hand out another user's inputs.
  Api(Services services, ArtifactStore& artifacts, ArtifactStore& bundles, double rate_per_s = 0,
      double burst = 0)
      : services_(services), artifacts_(artifacts), bundles_(bundles), limiter_(rate_per_s, burst) {}
  HttpResponse handle(const HttpRequest& request);

  // One authenticated request, as a handler sees it.
  struct Call {
    const HttpRequest& req;
    const User& user;
    std::vector<std::string> params;  // the path's {placeholders}, in order
    uint64_t id(size_t index, const char* what) const;  // a positive integer placeholder
    std::string query(const char* key) const;            // "" when absent
    void require(bool allowed, const std::string& what) const;  // Forbidden unless allowed
    std::string action() const;  // the path's last segment (hold, drain, deposit, …)
  };
  using Handler = HttpResponse (Api::*)(const Call&);
  struct Route {
    const char* method;
    const char* pattern;  // "/og/v1/jobs/{}/events"; "{*}" takes the rest of the path
    Handler handler;
  };

 private:
  HttpResponse route(const HttpRequest& request, const User& user);

  // api_jobs.cpp
  HttpResponse submit_job(const Call&);
  HttpResponse list_jobs(const Call&);
  HttpResponse parse_script(const Call&);
  HttpResponse show_job(const Call&);
  HttpResponse cancel_job(const Call&);
  HttpResponse job_action(const Call&);  // dispute, requeue, update, hold, release
  HttpResponse wait_job(const Call&);
  HttpResponse job_events(const Call&);
  HttpResponse job_result(const Call&);
  HttpResponse job_file(const Call&);
  HttpResponse replica_result(const Call&);
  std::vector<JobView> visible_to(const User& user, std::vector<JobView> views);
  // Invalid unless a --verify=score job's scoring script is among its bundle's files.
  void check_score_script(const JobSpec& spec);
  HttpResponse replica_file(const Call&);
  HttpResponse job_output(const Call&);  // og-tail: live, then from the report
  // The output at `path` of `manifest_json`, from the artifact store.
  HttpResponse output_file(const std::string& manifest_json, const std::string& path, const std::string& whose);
  HttpResponse priorities(const Call&);
  HttpResponse accounting(const Call&);
  // api_providers.cpp
  HttpResponse list_partitions(const Call&);
  HttpResponse offer_partition(const Call&);
  HttpResponse drain_partition(const Call&);  // drain, resume
  HttpResponse poll(const Call&);
  HttpResponse lease_input(const Call&);      // bundle, secrets, checkpoint
  HttpResponse milestone(const Call&);
  HttpResponse complete(const Call&);
  HttpResponse lease_output(const Call&);  // a running job's newest output, from its worker
  HttpResponse put_artifact(const Call&);
  HttpResponse probe_artifact(const Call&);   // HEAD, GET: existence, to whom may know
  // api_accounts.cpp
  HttpResponse ping(const Call&);
  HttpResponse terms(const Call&);  // what the mesh asks of providers (bond, fee, faucet)
  HttpResponse metrics(const Call&);
  HttpResponse wallet(const Call&);
  HttpResponse wallet_action(const Call&);   // deposit, withdraw, unbond
  HttpResponse chain_link(const Call&);      // GET the message, POST the signed link
  HttpResponse wallet_history(const Call&);
  HttpResponse wallet_earnings(const Call&);
  HttpResponse user_key(const Call&);        // GET, PUT
  HttpResponse add_user(const Call&);

  static const std::vector<Route>& routes();

  Services services_;
  ArtifactStore& artifacts_;
  ArtifactStore& bundles_;
  LiveOutput live_output_;
  RateLimiter limiter_;  // per credential (--rate-limit, --rate-burst)
  // Per address, for requests whose credential is missing or unknown: each costs a lookup,
  // so an address that keeps guessing is answered 429 before any (100 at once, 10 a second).
  RateLimiter refused_{10, 100};
};

}  // namespace og
