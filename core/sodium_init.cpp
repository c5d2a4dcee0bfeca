#include "core/sodium_init.hpp"

#include <sodium.h>

#include <stdexcept>

namespace og {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium could not start (no source of randomness?)");
}

}  // namespace og
