// A docker-registry on loopback for the tests that pull images and data sets, started by
// scripts/registry-local.sh and stopped by PID.
#pragma once

#include <string>

namespace og::test {

struct LocalRegistry {
  std::string dir, address;
  explicit LocalRegistry(const std::string& where);
  ~LocalRegistry() { stop(); }
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;
  void stop();
  void kill_now() const;
  // The file the registry serves a blob from.
  std::string blob_file(const std::string& digest) const;
};

}  // namespace og::test
