#include "worker/jail_sandbox.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "worker/jail/seccomp_filter.hpp"

namespace og {
namespace {

class JailedJob : public ContainedJob {
 public:
  JailedJob(JailSandbox& sandbox, uint32_t uid, std::unique_ptr<JobCgroup> cgroup, int secrets_fd,
            const std::string& files)
      : sandbox_(sandbox), uid_(uid), cgroup_(std::move(cgroup)), secrets_fd_(secrets_fd), marker_(files + ".failed"),
        env_file_(files + ".env") {}
  ~JailedJob() override {
    cgroup_.reset();  // kills what is left and removes the groups before the uid is reused
    if (secrets_fd_ >= 0) ::close(secrets_fd_);
    ::unlink(marker_.c_str());
    ::unlink(env_file_.c_str());  // og-jail removes it once read, unless it never ran
    sandbox_.release_uid(uid_);
  }
  const std::string& env_file() const { return env_file_; }
  void kill_all() override { cgroup_->kill_all(); }
  bool out_of_memory() const override { return cgroup_->out_of_memory(); }
  bool setup_failed() const override { return ::access(marker_.c_str(), F_OK) == 0; }

 private:
  JailSandbox& sandbox_;
  uint32_t uid_;
  std::unique_ptr<JobCgroup> cgroup_;
  int secrets_fd_;
  std::string marker_;  // og-jail's: still there after it exited means the jail failed
  std::string env_file_;
};

// /dev/shm where it is a tmpfs (it is on any Linux with glibc), else `fallback`.
std::string scratch_base(const std::string& fallback) {
  struct statfs fs {};
  if (::statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return fallback;
}

// The secrets in a memory-only file, read by og-jail as its fd 3: they never touch a disk.
int secrets_memfd(const std::map<std::string, std::string>& secrets) {
  int fd = ::memfd_create("og-secrets", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error("memfd_create failed");
  std::string all;
  for (const auto& [name, content] : secrets) all += name + "\n" + std::to_string(content.size()) + "\n" + content;
  if (!write_all(fd, all)) {
    ::close(fd);
    throw std::runtime_error("cannot pass secrets to the jail");
  }
  return fd;
}

bool filter_loads(const std::string& bpf) {
  pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    bool ok = ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
    try {
      jail::load_compiled_filter(bpf);
    } catch (const std::exception&) {
      ok = false;
    }
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The directory of uid locks and the filter: root's alone, or someone else could swap them.
void check_private_dir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0)
    throw std::runtime_error(dir + " must be a directory owned by root and writable by root alone (remove it and "
                             "start og-worker again)");
}

}  // namespace

JailSandbox::JailSandbox(const SandboxOptions& options) : options_(options), cgroups_(CgroupLayout::detect()) {
  if (::geteuid() != 0)
    throw std::runtime_error("--isolation jail needs root (namespaces, cgroups, per-job uids); run og-worker as "
                             "root or choose --isolation rlimit");
  if (options_.jail_program.empty()) options_.jail_program = executable_dir() + "/og-jail";
  if (::access(options_.jail_program.c_str(), X_OK) != 0)
    throw std::runtime_error("og-jail not found at " + options_.jail_program + " (build it with make)");
  if (options_.uid_count == 0 || options_.uid_first == 0)
    throw std::runtime_error("the job uid range must be non-empty and may not contain 0");
  // Where uids are claimed host-wide (a lock file per uid; a killed worker's locks go
  // with its process).
  lock_dir_ = ::access("/run", W_OK) == 0 ? "/run/opengrid-job-uids" : "/tmp/opengrid-job-uids";
  ::mkdir(lock_dir_.c_str(), 0700);
  check_private_dir(lock_dir_);
  scratch_dir_ = scratch_base(lock_dir_) + "/opengrid-jail";
  ::mkdir(scratch_dir_.c_str(), 0700);
  check_private_dir(scratch_dir_);
  ::mkdir((scratch_dir_ + "/root").c_str(), 0700);
  std::error_code ec;  // what a worker killed mid-job left there (an environment, a marker)
  for (const auto& entry : std::filesystem::directory_iterator(scratch_dir_, ec))
    if (left_by_a_gone_worker(entry.path().filename())) ::unlink(entry.path().c_str());
  remove_stale_job_cgroups(cgroups_);
  // Every jailed job loads the same filter: built here once, not by each og-jail, and
  // tried once in a child, so that a kernel without seccomp is told now, not by every job.
  std::string bpf = jail::compile_seccomp_filter();
  if (!filter_loads(bpf))
    throw std::runtime_error("this kernel refuses og-jail's seccomp filter (CONFIG_SECCOMP_FILTER): jobs cannot be "
                             "jailed here; choose --isolation rlimit");
  seccomp_file_ = lock_dir_ + "/seccomp-" + std::to_string(::getpid()) + ".bpf";
  write_new_file(seccomp_file_, bpf, 0600, /*replace=*/true);
  log_info("sandbox", {{"level", "jail"},
                       {"cgroups", cgroups_.describe()},
                       {"uids", std::to_string(options_.uid_first) + "-" +
                                    std::to_string(options_.uid_first + options_.uid_count - 1)}});
}

JailSandbox::~JailSandbox() { ::unlink(seccomp_file_.c_str()); }

uint32_t JailSandbox::take_uid() {
  std::lock_guard lock(mu_);
  for (uint32_t uid = options_.uid_first; uid < options_.uid_first + options_.uid_count; ++uid) {
    if (uids_in_use_.count(uid)) continue;
    int fd = ::open((lock_dir_ + "/" + std::to_string(uid)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // another worker's job has it
      ::close(fd);
      continue;
    }
    uids_in_use_[uid] = fd;
    return uid;
  }
  throw std::runtime_error("every job uid of the range is in use on this host; widen --job-uids");
}

void JailSandbox::release_uid(uint32_t uid) {
  std::lock_guard lock(mu_);
  auto it = uids_in_use_.find(uid);
  if (it == uids_in_use_.end()) return;
  ::close(it->second);  // releases the flock
  uids_in_use_.erase(it);
}

std::unique_ptr<ContainedJob> JailSandbox::contain(const SandboxRequest& request, SpawnOptions& spawn) {
  uint32_t uid = take_uid();
  std::string id = std::to_string(request.lease_id);
  CgroupLimits limits;
  limits.memory_bytes = request.memory_mb << 20;
  limits.max_pids = options_.max_pids;
  limits.cpus = request.cpus;
  limits.denied_devices = request.denied_devices;
  std::unique_ptr<JobCgroup> cgroup;
  int secrets_fd = -1;
  try {
    // Named by worker process too: several workers may share a host (and lease numbers).
    cgroup = std::make_unique<JobCgroup>(cgroups_, "w" + std::to_string(::getpid()) + "-lease-" + id, limits);
    if (!request.secrets.empty()) secrets_fd = secrets_memfd(request.secrets);
    // A jail whose limits did not take would be advertised as one and not be one.
    if (!cgroup->enforced().count("pids") || (limits.memory_bytes > 0 && !cgroup->enforced().count("memory")))
      throw std::runtime_error("the job's cgroup limits could not be set (memory, pids): see the cgroup warnings");
  } catch (...) {
    release_uid(uid);
    throw;
  }
  std::vector<std::string> procs_files = cgroup->procs_files();
  std::string files = scratch_dir_ + "/w" + std::to_string(::getpid()) + "-lease-" + id;
  auto job = std::make_unique<JailedJob>(*this, uid, std::move(cgroup), secrets_fd, files);
  std::vector<std::string> argv = {options_.jail_program, "--root", scratch_dir_ + "/root", "--failed-marker", files + ".failed", "--job-dir",
                                   request.job_dir, "--uid", std::to_string(uid), "--gid", std::to_string(uid),
                                   "--network", request.network, "--hostname", "og-job-" + id,
                                   "--max-pids", std::to_string(options_.max_pids), "--seccomp", seccomp_file_};
  for (const auto& node : request.devices) argv.insert(argv.end(), {"--device", node});
  // /tmp and /dev/shm are memory: as large as the job's memory, which bounds them anyway.
  if (request.memory_mb > 0) argv.insert(argv.end(), {"--tmp-mb", std::to_string(request.memory_mb)});
  for (const auto& file : procs_files) argv.insert(argv.end(), {"--cgroup-procs", file});
  if (!spawn.cwd.empty()) argv.insert(argv.end(), {"--cwd", spawn.cwd});
  if (!request.image_root.empty()) argv.insert(argv.end(), {"--image", request.image_root});
  for (const auto& [source, target] : request.read_only_binds) argv.insert(argv.end(), {"--bind-ro", source + "=" + target});
  if (secrets_fd >= 0) {
    argv.insert(argv.end(), {"--secrets-fd", "3"});
    spawn.pass_fd = secrets_fd;
    if (spawn.env) spawn.env->push_back("OG_SECRETS=/run/secrets");
  }
  // og-jail runs as root until it drops to the job's uid: it gets a bare environment (the
  // requester's variables could steer glibc), and the job's own from a file it reads.
  if (spawn.env) {
    const std::string& env_file = job->env_file();
    std::string all;
    for (const auto& kv : *spawn.env) all += kv + '\0';
    write_new_file(env_file, all, 0600, /*replace=*/true);
    argv.insert(argv.end(), {"--env-file", env_file});
    spawn.env = std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  }
  argv.push_back("--");
  argv.insert(argv.end(), spawn.argv.begin(), spawn.argv.end());
  spawn.argv = std::move(argv);
  spawn.clone_flags |= CLONE_NEWPID;  // og-jail starts as the init of the job's pid namespace
  return job;
}

}  // namespace og
