#include "worker/sandbox.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "worker/jail_sandbox.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

// Secrets for the levels without a mount namespace: files of mode 0400 under the job's
// .og directory (never hashed or uploaded), removed when the job ends.
class SecretFiles : public ContainedJob {
 public:
  SecretFiles(const SandboxRequest& request, SpawnOptions& spawn) {
    if (request.secrets.empty()) return;
    dir_ = request.job_dir + "/.og/secrets";
    fs::create_directory(dir_);
    ::chmod(dir_.c_str(), 0700);
    for (const auto& [name, content] : request.secrets) {
      write_new_file(dir_ + "/" + name, content, 0400);
    }
    if (spawn.env) spawn.env->push_back("OG_SECRETS=" + dir_);
  }
  ~SecretFiles() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

 private:
  std::string dir_;
};

class NoSandbox : public Sandbox {
 public:
  std::string level() const override { return "none"; }
  std::unique_ptr<ContainedJob> contain(const SandboxRequest& request, SpawnOptions& spawn) override {
    return std::make_unique<SecretFiles>(request, spawn);
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
    return std::make_unique<SecretFiles>(request, spawn);
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
