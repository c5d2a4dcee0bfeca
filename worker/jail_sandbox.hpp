// The jail level of Sandbox: each job runs under og-jail (worker/jail/) in its own
// namespaces and cgroups, as a uid of its own from a configured range.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "worker/jail/root_fs.hpp"
#include "worker/cgroup.hpp"
#include "worker/sandbox.hpp"

namespace og {

class JailSandbox : public Sandbox {
 public:
  // Throws std::runtime_error when the host cannot jail (not root, og-jail missing).
  explicit JailSandbox(const SandboxOptions& options);
  ~JailSandbox() override;
  std::string level() const override { return "jail"; }
  JobAccount job_account() const override { return {jail::kJobAccount, jail::kJobShell}; }
  std::unique_ptr<ContainedJob> contain(const SandboxRequest& request, SpawnOptions& spawn) override;

  // Hands out the lowest uid of the range that no job on this host holds — workers on one
  // host share the range safely: each uid is claimed with a lock file (flock) held while
  // its job runs. Throws when every one is in use.
  uint32_t take_uid();
  void release_uid(uint32_t uid);

 private:
  SandboxOptions options_;
  CgroupLayout cgroups_;
  std::string lock_dir_;
  // A job's passing files (its environment, og-jail's failure marker) and the directory
  // every jail mounts its root on (in its own mount namespace: one serves all): on a
  // tmpfs where there is one, so that a job's start allocates no inode on the disk.
  std::string scratch_dir_;
  std::string seccomp_file_;  // the system-call filter, compiled once for every og-jail
  std::mutex mu_;
  std::map<uint32_t, int> uids_in_use_;  // uid → its lock file, held
};

}  // namespace og
