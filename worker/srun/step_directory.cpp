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

// The job's own directory: never a shared, guessable place such as /tmp.
std::string steps_root(const Environment& env) {
  auto job_dir = env.find("OG_JOB_DIR");
  if (job_dir == env.end() || job_dir->second.empty())
    throw SrunError("srun: error: OG_JOB_DIR is not set: OpenGrid's srun runs inside the job og-worker started", 1);
  return job_dir->second + "/.og/steps";
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
  struct stat st {};
  if (::mkdir(root.c_str(), 0700) != 0 && (errno != EEXIST || ::lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
    fail("cannot make", root);
  std::string counter = root + "/next";
  int fd = ::open(counter.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
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
