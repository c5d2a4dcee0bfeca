#include "scheduler/credentials.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "core/strings.hpp"

namespace og {

Credentials::Credentials(const std::string& database_path, bool synchronous_full)
    : store_(database_path, synchronous_full) {}

std::optional<User> Credentials::cached(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::string hash = sha256_hex(token);
  std::lock_guard lock(mu_);
  auto it = users_.find(hash);
  return it == users_.end() ? std::nullopt : std::optional<User>(it->second);
}

std::optional<User> Credentials::authenticate(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::string hash = sha256_hex(token);
  std::lock_guard lock(mu_);
  auto it = users_.find(hash);
  if (it != users_.end()) return it->second;
  // Users added while we run (og-schedd --add-user writes to the same database).
  auto user = store_.find_user_by_token(hash);
  if (user) users_[hash] = *user;
  return user;
}

void Credentials::set_public_key(const User& user, const std::string& public_hex) {
  if (!is_sha256_hex(public_hex))  // same shape: 32 bytes in hex
    throw ApiError(Refusal::Invalid, "invalid_key", "an Ed25519 public key is 64 lower-case hex digits (og-keygen prints it)");
  std::lock_guard lock(mu_);
  store_.set_public_key(user.name, public_hex);
  keys_[user.name] = public_hex;
  log_info("public_key_set", {{"user", user.name}, {"key", public_hex.substr(0, 16)}});
}

std::string Credentials::public_key(const std::string& user) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(user);
  if (it == keys_.end()) it = keys_.emplace(user, store_.public_key(user)).first;
  return it->second;
}

std::string Credentials::add_user(const std::string& name, const std::string& role) {
  if (!is_plain_name(name))
    throw ApiError(Refusal::Invalid, "invalid_user", "user name must be 1-64 letters, digits, '_', '.' or '-'");
  if (role != "admin" && role != "user" && role != "worker")
    throw ApiError(Refusal::Invalid, "invalid_role", "role must be admin, user or worker");
  std::string token = random_token_hex();
  std::lock_guard lock(mu_);
  store_.add_user(User{name, role}, sha256_hex(token));
  log_info("user_added", {{"user", name}, {"role", role}});
  return token;
}

}  // namespace og
