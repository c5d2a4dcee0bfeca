// The REST API of og-schedd under /og/v1/: authentication, request decoding and error
// mapping around the Controller. Every error is {"error":{"code":…,"message":…}}.
#pragma once

#include "core/http_server.hpp"
#include "scheduler/artifact_store.hpp"
#include "scheduler/controller.hpp"

namespace og {

class Api {
 public:
  Api(Controller& controller, ArtifactStore& artifacts)
      : controller_(controller), artifacts_(artifacts) {}
  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse route(const HttpRequest& request, const User& user);

  Controller& controller_;
  ArtifactStore& artifacts_;
};

}  // namespace og
