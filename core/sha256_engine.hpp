// What computes SHA-256 for core/sha256 (the seam between libsodium, the default, and
// OpenSSL, which programs that hash a lot choose: sha256_openssl.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace og {

class Sha256State {
 public:
  virtual ~Sha256State() = default;
  virtual void update(const void* data, size_t size) = 0;
  virtual std::string hex() = 0;  // once
};

using Sha256Engine = std::unique_ptr<Sha256State> (*)();
// Replaces the engine for every hash started after (call it first thing in main).
void set_sha256_engine(Sha256Engine engine);

}  // namespace og
