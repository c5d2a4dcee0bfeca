// Typed errors that cross a boundary (REST, CLI, worker report): a stable code, an HTTP
// status and a message a user can act on.
#pragma once

#include <stdexcept>
#include <string>

namespace og {

class ApiError : public std::runtime_error {
 public:
  ApiError(int http_status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(http_status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// Bad input from a user: a job script or a command line. Says where and how to fix.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace og
