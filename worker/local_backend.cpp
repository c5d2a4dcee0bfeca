#include "worker/local_backend.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "core/bundle.hpp"
#include "core/file_io.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/job_state.hpp"
#include "core/time_util.hpp"
#include "worker/job_dir.hpp"
#include "worker/job_environment.hpp"

namespace og {

namespace fs = std::filesystem;

LocalBackend::LocalBackend(LocalBackendOptions options) : options_(std::move(options)) {
  fs::create_directories(options_.jobs_dir);
  // Directories left by an earlier run of this worker belong to leases og-schedd has
  // already written off (a restarted worker runs nothing): clear them.
  size_t stale = 0;
  for (const auto& entry : fs::directory_iterator(options_.jobs_dir)) {
    std::error_code ec;
    fs::remove_all(entry.path(), ec);
    ++stale;
  }
  if (stale > 0) log_info("stale_job_dirs_removed", {{"count", std::to_string(stale)}});
  watchdog_ = std::thread([this] { watchdog_loop(); });
  reaper_ = std::thread([this] { reaper_loop(); });
  if (options_.disk.bytes > 0 || options_.disk.files > 0) disk_watch_ = std::thread([this] { disk_watch_loop(); });
}

LocalBackend::~LocalBackend() { shutdown(); }

void LocalBackend::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [lease, run] : running_) {
      run.cancelled = true;
      killpg(run.pgid, SIGKILL);
    }
  }
  cv_.notify_all();
  watchdog_.join();
  if (disk_watch_.joinable()) disk_watch_.join();
  reaper_.join();  // reaps what was just killed, then sees stopping_ and leaves
}

void LocalBackend::launch(const LeaseTask& task, DoneCallback done) {
  std::string job_dir = options_.jobs_dir + "/" + std::to_string(task.lease_id);
  RunResult failed{task.lease_id, Outcome::Failed, 0, job_dir, {}};
  pid_t pid = 0;
  try {
    auto prepared_or = prepare_or_refuse(task, options_.jobs_dir, options_.partition, options_.bundle_limits, done);
    if (!prepared_or) return;
    const PreparedJob& prepared = *prepared_or;
    const std::string& script = prepared.script;
    const std::string& out = prepared.out;
    const std::string& err = prepared.err;
    fs::path cwd = prepared.cwd;
    SpawnOptions spawn;
    spawn.argv = {script};
    spawn.argv.insert(spawn.argv.end(), task.spec.script_args.begin(), task.spec.script_args.end());
    std::string tools_dir;
    if (!options_.srun_program.empty()) {
      tools_dir = job_dir + "/.og/bin";
      fs::create_directory(tools_dir);
      fs::copy_file(options_.srun_program, tools_dir + "/srun");
      fs::permissions(tools_dir + "/srun", fs::perms(0755));
    }
    JobAccount account = options_.sandbox ? options_.sandbox->job_account() : current_account();
    const bool jailed = options_.sandbox && options_.sandbox->level() == "jail";
    // What this worker cannot do for the job is not the job's fault: og-schedd runs it elsewhere.
    auto hand_back = [&](const char* event, const std::exception& e, const char* why) {
      log_error(event, {{"lease", std::to_string(task.lease_id)}, {"error", e.what()}});
      failed.outcome = Outcome::HandedBack;
      failed.handback_reason = why;
      report_later(done, failed);
    };
    GpuBinding gpus;
    try {
      gpus = bind_gpus(options_.gpus, task.spec.gpus, task.gpu_indices, !task.image_root.empty());
    } catch (const std::exception& e) {
      return hand_back("gpu_binding_failed", e, "the worker could not give it its GPUs");
    }
    spawn.env = job_environment(task, {options_.partition, job_dir, cwd.string(), tools_dir, account, task.image_env,
                                       &gpus, jailed});
    spawn.cwd = cwd.string();
    spawn.stdout_path = out;
    spawn.stderr_path = err;
    spawn.die_with_parent = true;  // a killed worker must not leave its jobs running
    // A scoring script (a validation task) gets no network beyond its own loopback.
    const std::string network = task.validation ? "loopback" : task.spec.network;
    if (network == "egress" && !options_.allow_egress)
      throw std::runtime_error("the job asks for --network=egress, which this worker does not allow");
    std::unique_ptr<ContainedJob> contained;
    if (options_.sandbox) {
      SandboxRequest request;
      request.lease_id = task.lease_id;
      request.job_dir = job_dir;
      request.cpus = task.spec.total_cpus();
      request.memory_mb = task.spec.total_mem_mb() ? task.spec.total_mem_mb() : options_.memory_mb;
      request.devices = gpus.device_nodes;
      request.denied_devices = gpus.denied;
      request.network = network;
      request.secrets = task.secrets;
      request.image_root = task.image_root;
      request.read_only_binds = task.data_mounts;
      request.read_only_binds.insert(request.read_only_binds.end(), gpus.driver_files.begin(), gpus.driver_files.end());
      try {
        contained = options_.sandbox->contain(request, spawn);
      } catch (const std::exception& e) {
        return hand_back("sandbox_failed", e, "the worker could not contain it");
      }
    }
    std::lock_guard lock(mu_);
    pid = spawn_process(spawn);
    Running run;
    run.contained = std::move(contained);
    run.pgid = pid;
    run.job_dir = job_dir;
    run.unverified = prepared.unverified;
    run.done = done;
    lease_of_pid_[pid] = task.lease_id;
    int64_t limit = task.spec.time_limit_s;
    if (limit > 0) run.deadline_us = monotonic_us() + limit * 1000000;
    running_[task.lease_id] = std::move(run);
    cv_.notify_all();
  } catch (const std::exception& e) {
    log_error("job_start_failed", {{"lease", std::to_string(task.lease_id)}, {"error", e.what()}});
    failed.exit_code = 127;
    report_later(done, failed);
    return;
  }
  log_info("job_started", {{"job", std::to_string(task.job_id)},
                           {"lease", std::to_string(task.lease_id)},
                           {"pid", std::to_string(pid)}});
}

void LocalBackend::reaper_loop() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      // No children: wait for the next launch (or the end).
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !lease_of_pid_.empty(); });
      if (stopping_ && lease_of_pid_.empty()) return;
      continue;
    }
    std::unique_lock lock(mu_);  // launch() holds it from spawn to registration
    auto owner = lease_of_pid_.find(pid);
    if (owner == lease_of_pid_.end()) continue;  // not a job of ours
    uint64_t lease = owner->second;
    lease_of_pid_.erase(owner);
    Running run = std::move(running_.at(lease));
    running_.erase(lease);
    lock.unlock();
    RunResult result{lease, Outcome::Completed, exit_code_from_wait_status(status), run.job_dir, run.unverified};
    if (run.cancelled) result.outcome = Outcome::Cancelled;
    else if (run.contained && run.contained->setup_failed()) {
      // Not the job's doing: reported as stopped on our side, og-schedd runs it elsewhere.
      log_error("sandbox_failed", {{"lease", std::to_string(lease)}, {"exit_code", std::to_string(result.exit_code)}});
      result.outcome = Outcome::HandedBack;
      result.handback_reason = "its sandbox failed to start";
    } else if (run.over_disk) {
      result.outcome = Outcome::Failed;  // its outputs are not read: too much to hash and upload
      result.reason = std::string(reason::kDiskQuota);
    } else if (run.timed_out) result.outcome = Outcome::Timeout;
    else if (run.contained && run.contained->out_of_memory()) result.outcome = Outcome::OutOfMemory;
    else if (result.exit_code != 0) result.outcome = Outcome::Failed;
    // Whatever the script left running ends with it, as under Slurm: its process group,
    // and (jailed) every process of its cgroups, wherever they moved.
    killpg(pid, SIGKILL);
    run.contained.reset();
    run.done(result);
  }
}

void LocalBackend::stop_locked(Running& run, int64_t now_us) {
  if (run.kill_at_us != 0) return;
  killpg(run.pgid, SIGTERM);
  killpg(run.pgid, SIGCONT);  // a stopped job must wake up to die
  run.kill_at_us = now_us + options_.kill_wait_ms * 1000;
  cv_.notify_all();
}

std::string LocalBackend::job_dir(uint64_t lease_id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(lease_id);
  return it == running_.end() ? std::string() : it->second.job_dir;
}

void LocalBackend::cancel(uint64_t lease_id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(lease_id);
  if (it == running_.end()) return;
  it->second.cancelled = true;
  stop_locked(it->second, monotonic_us());
}

void LocalBackend::cancel_all() {
  std::lock_guard lock(mu_);
  for (auto& [lease, run] : running_) {
    run.cancelled = true;
    killpg(run.pgid, SIGKILL);
  }
}

void LocalBackend::disk_watch_loop() {
  std::unique_lock lock(mu_);
  std::chrono::microseconds interval = std::chrono::seconds(1);
  while (!cv_.wait_for(lock, interval, [this] { return stopping_; })) {
    std::vector<std::pair<uint64_t, std::string>> dirs;
    for (const auto& [lease, run] : running_)
      if (run.kill_at_us == 0) dirs.emplace_back(lease, run.job_dir);
    lock.unlock();
    int64_t started = monotonic_us();
    std::vector<std::pair<uint64_t, std::string>> over;  // lease, why
    for (const auto& [lease, dir] : dirs) {
      JobDiskUsage usage = measure_job_dir(dir, options_.disk);
      if (usage.over) over.emplace_back(lease, usage.describe(options_.disk));
    }
    // A walk of many files is work of its own: never more than a tenth of the time.
    interval = std::clamp<std::chrono::microseconds>(std::chrono::microseconds(10 * (monotonic_us() - started)),
                                                      std::chrono::seconds(1), std::chrono::seconds(30));
    lock.lock();
    for (const auto& [lease, why] : over) {
      auto it = running_.find(lease);
      if (it == running_.end() || it->second.kill_at_us != 0) continue;
      it->second.over_disk = true;
      log_warn("job_disk_quota", {{"lease", std::to_string(lease)}, {"why", why}});
      stop_locked(it->second, monotonic_us());
    }
  }
}

void LocalBackend::watchdog_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int64_t now = monotonic_us();
    int64_t next = 0;
    for (auto& [lease, run] : running_) {
      if (run.kill_at_us == INT64_MAX) continue;  // SIGKILL already sent
      if (run.kill_at_us != 0) {
        if (now >= run.kill_at_us) {
          killpg(run.pgid, SIGKILL);
          run.kill_at_us = INT64_MAX;  // sent; nothing more to do
        } else {
          next = next == 0 ? run.kill_at_us : std::min(next, run.kill_at_us);
        }
      } else if (run.deadline_us != 0) {
        if (now >= run.deadline_us) {
          run.timed_out = true;
          log_info("job_time_limit", {{"lease", std::to_string(lease)}});
          stop_locked(run, now);
          next = next == 0 ? run.kill_at_us : std::min(next, run.kill_at_us);
        } else {
          next = next == 0 ? run.deadline_us : std::min(next, run.deadline_us);
        }
      }
    }
    if (next == 0)
      cv_.wait(lock);
    else
      cv_.wait_for(lock, std::chrono::microseconds(next - now));
  }
}

}  // namespace og
