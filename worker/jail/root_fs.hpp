// The file system a jailed job sees: a tmpfs root holding read-only binds of /usr and of
// the parts of /etc programs need, generated passwd/group/hosts naming the job's uid, the
// job's own directory (read-write, same path as on the host), a private /tmp and
// /dev/shm, a /proc of its own pid namespace, a minimal /dev, and its secrets on a tmpfs
// at /run/secrets. Nothing else of the host — no other job, no worker state — is there.
// With an image, the image is the root instead of the host's /usr and /etc: its unpacked
// tree read-only beneath an overlay whose writable layer is the job's own (a tmpfs), the
// job's mounts as above on top, and data sets read-only at /data/NAME.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace og::jail {

// The one account a jailed job knows besides root and nobody: its own uid's.
inline constexpr const char* kJobAccount = "og-job";
inline constexpr const char* kJobShell = "/bin/sh";

struct RootPlan {
  std::string root;     // an empty directory to build the root on
  std::string job_dir;  // absolute
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t tmp_mb = 1024;  // size of /tmp and /dev/shm each
  std::vector<std::string> devices;  // host device nodes made in its /dev, under their own names (its GPUs)
  std::string hostname;
  bool egress = false;  // the job shares the host's network (--network=egress)
  std::map<std::string, std::string> secrets;
  std::string image;  // an unpacked image to be the root, "" = the host's /usr and /etc
  std::vector<std::pair<std::string, std::string>> read_only_binds;  // host path (directory or file) → path in the jail
};

// Builds the root and pivots into it; the caller is root in fresh mount and pid
// namespaces. Throws std::runtime_error naming the step that failed.
void enter_root(const RootPlan& plan);

}  // namespace og::jail
