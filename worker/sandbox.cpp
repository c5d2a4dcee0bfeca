#include "worker/sandbox.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <stdexcept>

#include "core/log.hpp"
#include "worker/jail_sandbox.hpp"

namespace og {
namespace {

// Below a jail there is nowhere to put a secret that other jobs of this worker's user could
// not read: og-schedd sends jobs with secrets to jails only, and these levels refuse them.
class Uncontained : public ContainedJob {
 public:
  explicit Uncontained(const SandboxRequest& request) {
    if (!request.secrets.empty())
      throw std::runtime_error("this worker's sandbox level cannot keep a job's secrets from other jobs");
    if (!request.image_root.empty() || !request.read_only_binds.empty())
      throw std::runtime_error("images and data sets are mounted only in the jail (og-worker as root, --isolation jail)");
  }
};

class NoSandbox : public Sandbox {
 public:
  std::string level() const override { return "none"; }
  std::unique_ptr<ContainedJob> contain(const SandboxRequest& request, SpawnOptions&) override {
    return std::make_unique<Uncontained>(request);
  }
};

// Limits a process can set on itself: private memory (RLIMIT_DATA counts writable
// mappings since Linux 4.7), no core dumps. Processes and CPU cannot be bounded per job
// this way (RLIMIT_NPROC counts every process of the worker's user).
class RlimitSandbox : public Sandbox {
 public:
  std::string level() const override { return "rlimit"; }
  std::unique_ptr<ContainedJob> contain(const SandboxRequest& request, SpawnOptions& spawn) override {
    if (request.memory_mb > 0) spawn.rlimits.push_back({RLIMIT_DATA, rlim_t(request.memory_mb) << 20});
    spawn.rlimits.push_back({RLIMIT_CORE, 0});
    return std::make_unique<Uncontained>(request);
  }
};

}  // namespace

std::unique_ptr<Sandbox> make_sandbox(const SandboxOptions& options) {
  std::string level = options.level;
  if (level.empty()) level = ::geteuid() == 0 ? "jail" : "rlimit";
  if (level == "jail") return std::make_unique<JailSandbox>(options);
  if (level == "rlimit") {
    log_warn("sandbox_weak",
             {{"level", "rlimit"},
              {"meaning", "jobs run as this worker's user with memory limits only: they can read and write "
                          "whatever this user can and reach the network"},
              {"fix", "run og-worker as root for --isolation jail"}});
    return std::make_unique<RlimitSandbox>();
  }
  if (level == "none") {
    log_warn("sandbox_off", {{"level", "none"}, {"meaning", "jobs are not contained at all (development only)"}});
    return std::make_unique<NoSandbox>();
  }
  throw std::runtime_error("--isolation: \"" + level + "\" is not jail, rlimit or none");
}

}  // namespace og
