// Sandbox: how a worker contains a stranger's job. Three levels, strongest first:
//   jail    namespaces (mount, pid, net, ipc, uts), a minimal read-only root, a uid of
//           its own, no capabilities, no_new_privs, cgroup limits (needs root);
//   rlimit  resource limits and a process group only — the fallback where the worker
//           lacks the privileges for a jail (logged loudly at start);
//   none    nothing beyond a process group (development only, and only when asked for).
// A partition advertises its level; a requester may demand a minimum (--isolation).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/job_spec.hpp"
#include "core/process.hpp"
#include "worker/job_environment.hpp"

namespace og {

struct SandboxRequest {
  uint64_t lease_id = 0;
  std::string job_dir;
  uint32_t cpus = 1;             // CPU quota
  uint64_t memory_mb = 0;        // memory limit; 0: none
  std::vector<std::string> devices;  // host device nodes its /dev gets (its GPUs' and their control nodes)
  std::vector<std::string> denied_devices;  // "c MAJOR:MINOR": the devices cgroup refuses these
  std::string network = "loopback";  // none | loopback | egress
  std::map<std::string, std::string> secrets;  // name → content, for /run/secrets
  std::string image_root;  // an unpacked image to run in (jail only), "" = the host's own
  std::vector<std::pair<std::string, std::string>> read_only_binds;  // host path → path in the job (data sets, driver files)
};

// One job's containment, from launch until it has been reaped.
class ContainedJob {
 public:
  virtual ~ContainedJob() = default;  // releases what the job held (cgroups, uid, secrets)
  // Kills every process the job started, wherever it moved (called after the reap).
  virtual void kill_all() {}
  // The memory limit killed a process of the job.
  virtual bool out_of_memory() const { return false; }
  // The containment itself failed before the job ran (the job is not to blame).
  virtual bool setup_failed() const { return false; }
};

class Sandbox {
 public:
  virtual ~Sandbox() = default;
  virtual std::string level() const = 0;
  // The account jobs run as (USER, LOGNAME, SHELL): og-worker's own unless jailed.
  virtual JobAccount job_account() const { return current_account(); }
  // Prepares containment and rewrites `spawn` so that spawning it starts the job inside.
  // Throws std::runtime_error when the job cannot be contained (it is then not started).
  virtual std::unique_ptr<ContainedJob> contain(const SandboxRequest& request, SpawnOptions& spawn) = 0;
};

struct SandboxOptions {
  std::string level;          // jail | rlimit | none; "" = the strongest this host allows
  uint32_t uid_first = 3000000;  // the jail's per-job uids: [uid_first, uid_first + uid_count)
  uint32_t uid_count = 1024;
  uint32_t max_pids = 1024;   // processes per job
  std::string jail_program;   // og-jail; "" = next to this executable
};

// The sandbox for `options.level`; throws std::runtime_error (with how to fix it) when
// that level cannot work on this host.
std::unique_ptr<Sandbox> make_sandbox(const SandboxOptions& options);

}  // namespace og
