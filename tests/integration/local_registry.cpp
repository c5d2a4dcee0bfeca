#include "tests/integration/local_registry.hpp"

#include <signal.h>

#include <fstream>
#include <regex>
#include <stdexcept>

#include "tests/integration/mesh.hpp"

namespace og::test {

LocalRegistry::LocalRegistry(const std::string& where) : dir(where) {
  Mesh shell;  // only to run the script
  auto r = shell.exec({"/bin/bash", source_path("scripts/registry-local.sh"), "start", dir});
  std::smatch m;
  if (r.exit_code != 0 || !std::regex_search(r.out, m, std::regex("OG_REGISTRY=([0-9.:]+)")))
    throw std::runtime_error("the registry did not start: " + r.err);
  address = m[1];
}

void LocalRegistry::stop() {
  Mesh shell;
  shell.exec({"/bin/bash", source_path("scripts/registry-local.sh"), "stop", dir});
}

void LocalRegistry::kill_now() const {
  std::ifstream in(dir + "/registry.pid");
  pid_t pid = 0;
  in >> pid;
  if (pid > 0) ::kill(pid, SIGKILL);
}

std::string LocalRegistry::blob_file(const std::string& digest) const {
  std::string hex = digest.substr(7);
  return dir + "/data/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
}

}  // namespace og::test
