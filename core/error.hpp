// Typed errors that cross a boundary (REST, CLI, worker report): what kind of refusal it
// is, a stable code and a message a user can act on. Domain code says only the kind; the
// HTTP layer (core/http_status.hpp) alone turns kinds into status codes and back.
#pragma once

#include <stdexcept>
#include <string>

namespace og {

enum class Refusal {
  Invalid,          // the request is malformed or asks for something impossible
  Unauthenticated,  // no credential, or an unknown one
  Unpaid,           // the wallet cannot pay for it
  Forbidden,        // the caller may not do this
  NotFound,
  NotAllowed,       // no such operation on this resource
  Conflict,         // not in the state it would have to be in
  TooLarge,
  TooMany,          // rate limited: try again later
  Unavailable,      // shutting down, or a timeout: try again
  Upstream,         // a server further on answered badly
  Internal,
};

class ApiError : public std::runtime_error {
 public:
  ApiError(Refusal kind, std::string code, const std::string& message)
      : std::runtime_error(message), kind_(kind), code_(std::move(code)) {}
  Refusal kind() const { return kind_; }
  const std::string& code() const { return code_; }

 private:
  Refusal kind_;
  std::string code_;
};

// Bad input from a user: a job script or a command line. Says where and how to fix.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace og
