// The REST API of og-schedd under /og/v1/: authentication, request decoding and error
// mapping around the Controller. Every error is {"error":{"code":…,"message":…}}.
#pragma once

#include "core/http_server.hpp"
#include "scheduler/rate_limit.hpp"
#include "scheduler/artifact_store.hpp"
#include "scheduler/controller.hpp"

namespace og {

class Api {
 public:
  // Bundles (requesters' inputs) are kept apart from artifacts (jobs' outputs): a manifest
  // can name only outputs, so no job's result can hand out another user's inputs.
  Api(Controller& controller, ArtifactStore& artifacts, ArtifactStore& bundles, double rate_per_s = 0,
      double burst = 0)
      : controller_(controller), artifacts_(artifacts), bundles_(bundles), limiter_(rate_per_s, burst) {}
  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse route(const HttpRequest& request, const User& user);

  Controller& controller_;
  ArtifactStore& artifacts_;
  ArtifactStore& bundles_;
  RateLimiter limiter_;  // per credential (--rate-limit, --rate-burst)
  // Per address, for requests whose credential is missing or unknown: each costs a lookup,
  // so an address that keeps guessing is answered 429 before any (100 at once, 10 a second).
  RateLimiter refused_{10, 100};
};

}  // namespace og
