// Who is calling, and the key each user signs jobs with. Tokens are kept only as their
// SHA-256; one seen before is answered from memory. Credentials hold a lock and a
// database connection of their own: checking a request's token never waits for the
// scheduler's state.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "scheduler/job_store.hpp"
#include "scheduler/model.hpp"

namespace og {

class Credentials {
 public:
  Credentials(const std::string& database_path, bool synchronous_full);

  // The user of a token already seen, without touching the database (nothing otherwise).
  std::optional<User> cached(const std::string& token);
  // Also users added while og-schedd runs (og-schedd --add-user writes the same database).
  std::optional<User> authenticate(const std::string& token);
  // Creates a user and returns its new token (shown once; only its hash is kept).
  std::string add_user(const std::string& name, const std::string& role);
  // The key a user signs job bundles with (og-keygen --register); a new key replaces the old.
  void set_public_key(const User& user, const std::string& public_hex);
  std::string public_key(const std::string& user);  // "" when none is registered

 private:
  std::mutex mu_;
  JobStore store_;
  std::map<std::string, User> users_;        // token hash → user
  std::map<std::string, std::string> keys_;  // user → signing key ("" none), read through
};

}  // namespace og
