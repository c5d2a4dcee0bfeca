// Which cgroup layout a host has, read from its mount table (no real cgroup file system).
#include <gtest/gtest.h>

#include <unistd.h>

#include "worker/cgroup.hpp"
#include "worker/jail_sandbox.hpp"

namespace og {
namespace {

std::string no_controllers(const std::string&) { return ""; }
std::string v2_controllers(const std::string&) { return "cpuset cpu io memory hugetlb pids rdma misc\n"; }

TEST(CgroupLayout, HybridHostUsesV1ControllersAndTheUnifiedMountForKill) {
  // This development VM: v1 controllers, and a cgroup2 mount without any.
  const std::string mounts =
      "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\n"
      "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
      "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
      "cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0\n"
      "cgroup /sys/fs/cgroup/freezer cgroup rw,relatime,freezer 0 0\n"
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
  auto layout = CgroupLayout::from_mounts(mounts, no_controllers);
  EXPECT_EQ(layout.unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(layout.version_of("memory"), "v1");
  EXPECT_EQ(layout.v1.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(layout.version_of("pids"), "v1");
  EXPECT_EQ(layout.version_of("cpu"), "v1");
}

TEST(CgroupLayout, PureV2HostUsesTheUnifiedHierarchyForEverything) {
  auto layout = CgroupLayout::from_mounts("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec 0 0\n", v2_controllers);
  EXPECT_EQ(layout.unified, "/sys/fs/cgroup");
  EXPECT_TRUE(layout.v1.empty());
  for (const char* c : {"memory", "pids", "cpu"}) EXPECT_EQ(layout.version_of(c), "v2") << c;
}

TEST(CgroupLayout, CombinedV1MountsAndMissingControllers) {
  auto layout = CgroupLayout::from_mounts("cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n", no_controllers);
  EXPECT_EQ(layout.version_of("cpu"), "v1");
  EXPECT_EQ(layout.version_of("memory"), "") << "no memory controller: no memory limit, and the log says so";
  EXPECT_TRUE(layout.unified.empty());
}

TEST(JailUids, TwoWorkersOnOneHostNeverShareAJobUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the jail needs root";
  SandboxOptions options;
  options.jail_program = "/bin/true";  // not run here
  options.uid_first = 3950000 + static_cast<uint32_t>(::getpid() % 1000) * 4;
  options.uid_count = 2;
  JailSandbox a(options), b(options);  // two workers, the same range
  uint32_t first = a.take_uid(), second = b.take_uid();
  EXPECT_NE(first, second);
  EXPECT_THROW(a.take_uid(), std::runtime_error) << "both uids are held on this host";
  b.release_uid(second);
  EXPECT_EQ(a.take_uid(), second) << "free again once its job is done";
  a.release_uid(first);
  a.release_uid(second);
}

}  // namespace
}  // namespace og
