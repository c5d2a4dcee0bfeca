// Control groups for jobs: memory, process-count and CPU limits, a kill that reaches every
// process a job started, and whether the memory limit killed something. Works on cgroup
// v2, on v1 controllers, and on the hybrid of both (v1 controllers plus a cgroup2 mount
// that only offers cgroup.kill) — which of them a host has is read from its mount table.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace og {

struct CgroupLayout {
  std::string unified;                        // the cgroup2 mount, "" if none
  std::set<std::string> unified_controllers;  // controllers usable there
  std::map<std::string, std::string> v1;      // controller → its v1 mount

  // From the text of /proc/self/mounts; `read_controllers` reads a cgroup2 mount's
  // cgroup.controllers (a parameter so tests need no real cgroup file system).
  static CgroupLayout from_mounts(const std::string& mounts_text,
                                  std::string (*read_controllers)(const std::string& mount));
  static CgroupLayout detect();  // this host

  // Where a controller lives: "v2", "v1" or "" (not available).
  std::string version_of(const std::string& controller) const;
  // How a whole job is killed: "cgroup.kill", "freezer", or "" (signals only); set by
  // detect(), which probes for it.
  std::string kill;
  std::string probe_kill_method() const;
  // One line for logs and og-sinfo, e.g. "memory=v1 pids=v1 cpu=v1 kill=cgroup.kill".
  std::string describe() const;
};

// Removes the empty job groups that workers no longer running left behind ("w<pid>-...").
void remove_stale_job_cgroups(const CgroupLayout& layout);
// Whether `name` is one a worker gives what it makes per job ("w<pid>-...") and that worker
// is no longer running: what it left behind may go.
bool left_by_a_gone_worker(const std::string& name);

struct CgroupLimits {
  uint64_t memory_bytes = 0;  // 0: no limit
  uint32_t max_pids = 0;      // 0: no limit
  double cpus = 0;            // CPU quota in CPUs; 0: no limit
  // "c MAJOR:MINOR" the job may not open (the provider's GPUs it was not given), through
  // the v1 devices controller; without it the jail's own /dev is the only barrier.
  std::vector<std::string> denied_devices;
};

// One job's cgroups (one per v1 controller, or one v2 group), created on construction
// and removed on destruction. Failures to create or limit are logged, never thrown: a
// job on a host without cgroups still runs, with the limits the fallback gives it.
class JobCgroup {
 public:
  JobCgroup(const CgroupLayout& layout, const std::string& name, const CgroupLimits& limits);
  ~JobCgroup();
  JobCgroup(const JobCgroup&) = delete;
  JobCgroup& operator=(const JobCgroup&) = delete;

  // The cgroup.procs files a process writes its pid to, to join.
  const std::vector<std::string>& procs_files() const { return procs_files_; }
  // Which of the limits were applied ("memory", "pids", "cpu", "devices").
  const std::set<std::string>& enforced() const { return enforced_; }
  // True when the memory limit has killed a process of this job.
  bool out_of_memory() const;
  // SIGKILLs every process in the group (cgroup.kill, or freeze → kill → thaw).
  void kill_all() const;

 private:
  const CgroupLayout& layout_;
  std::vector<std::string> dirs_;
  std::vector<std::string> procs_files_;
  std::set<std::string> enforced_;
  std::string memory_dir_, freezer_dir_, unified_dir_;
};

}  // namespace og
