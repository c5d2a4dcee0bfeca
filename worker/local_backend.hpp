// Runs jobs as processes on this host: each in a fresh work directory, as its own process
// group, with the job's stdout/stderr in its --output/--error files. At the time limit the
// group gets SIGTERM, then SIGKILL after a grace period (Slurm's KillWait).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/bundle.hpp"
#include "worker/backend.hpp"
#include "worker/gpu_binding.hpp"
#include "worker/job_disk_usage.hpp"
#include "worker/sandbox.hpp"

namespace og {

struct LocalBackendOptions {
  std::string jobs_dir;        // work directories are created under it
  std::string partition;       // this worker's partition name (the "node")
  int64_t kill_wait_ms = 5000; // SIGTERM → SIGKILL grace
  Sandbox* sandbox = nullptr;  // how jobs are contained; nullptr: not at all (unit tests)
  uint64_t memory_mb = 0;      // the memory limit of a job that asked for none (all offered)
  bool allow_egress = false;   // --network=egress jobs may reach out (else they are refused)
  BundleLimits bundle_limits = {};  // how large a bundle may unpack
  JobDiskLimits disk = {};          // what one job's directory may hold (DiskQuota beyond)
  // og-srun, copied into each job as .og/bin/srun (a copy: the jail shows the job its own
  // directory, not ours); "" leaves jobs without srun.
  std::string srun_program = {};
  GpuHost gpus = {};  // the GPUs offered, where their nodes and driver libraries are
};

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalBackendOptions options);
  ~LocalBackend() override;
  // Kills every job and stops the reaper and watchdog; no callback runs after it returns.
  void shutdown() override;
  void launch(const LeaseTask& task, DoneCallback done) override;
  void cancel(uint64_t lease_id) override;
  void cancel_all() override;
  std::string job_dir(uint64_t lease_id) override;

 private:
  struct Running {
    pid_t pgid = 0;  // the script's pid, leader of its process group
    std::string job_dir;
    std::vector<std::string> unverified;  // for RunResult
    std::unique_ptr<ContainedJob> contained;
    DoneCallback done;
    int64_t deadline_us = 0;   // monotonic; 0 = no limit
    int64_t kill_at_us = 0;    // monotonic; when SIGKILL follows SIGTERM
    bool timed_out = false;
    bool cancelled = false;
    bool over_disk = false;  // stopped for holding more than options_.disk
  };
  void watchdog_loop();
  // Measures each running job's directory, every second or more rarely when walking
  // them takes long, and stops those past the disk limits.
  void disk_watch_loop();
  // One thread reaps every job (waitpid(-1)): a thread per job cost more than the job.
  void reaper_loop();
  void stop_locked(Running& run, int64_t now_us);

  LocalBackendOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Running> running_;  // by lease id
  std::map<pid_t, uint64_t> lease_of_pid_;
  bool stopping_ = false;
  std::thread watchdog_;
  std::thread reaper_;
  std::thread disk_watch_;
};

}  // namespace og
