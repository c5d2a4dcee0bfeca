#include "worker/srun/step_directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <dirent.h>

namespace og::srun {
namespace {

std::string steps_root(const Environment& env) {
  auto job_dir = env.find("OG_JOB_DIR");
  if (job_dir != env.end() && !job_dir->second.empty()) return job_dir->second + "/.og/steps";
  auto tmp = env.find("TMPDIR");
  std::string base = tmp != env.end() && !tmp->second.empty() ? tmp->second : "/tmp";
  auto job = env.find("SLURM_JOB_ID");
  return base + "/og-steps-" + (job == env.end() ? std::string("0") : job->second);
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw SrunError("srun: error: " + what + " " + path + ": " + std::strerror(errno), 1);
}

// A step's directory holds only its tasks' outcome files.
void remove_flat_directory(const std::string& path) {
  if (DIR* dir = ::opendir(path.c_str())) {
    while (dirent* entry = ::readdir(dir))
      if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
        ::unlinkat(::dirfd(dir), entry->d_name, 0);
    ::closedir(dir);
  }
  ::rmdir(path.c_str());
}

}  // namespace

StepDirectory new_step_directory(const Environment& env) {
  std::string root = steps_root(env);
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot make", root);
  std::string counter = root + "/next";
  int fd = ::open(counter.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot open", counter);
  if (::flock(fd, LOCK_EX) != 0) {
    ::close(fd);
    fail("cannot lock", counter);
  }
  char text[16] = {};
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  StepDirectory step;
  step.id = n > 0 ? static_cast<uint32_t>(std::strtoul(text, nullptr, 10)) : 0;
  std::string next = std::to_string(step.id + 1);
  bool saved = ::pwrite(fd, next.data(), next.size(), 0) == static_cast<ssize_t>(next.size()) &&
               ::ftruncate(fd, static_cast<off_t>(next.size())) == 0;
  ::close(fd);  // and the lock with it
  if (!saved) fail("cannot write", counter);
  step.path = root + "/" + std::to_string(step.id);
  remove_flat_directory(step.path);  // left by a step of an earlier run of this job
  if (::mkdir(step.path.c_str(), 0700) != 0) fail("cannot make", step.path);
  return step;
}

void remove_step_directory(const StepDirectory& step) { remove_flat_directory(step.path); }

}  // namespace og::srun
