// Attacks a hostile job made on a jailed worker (found by an adversarial test of the mesh),
// each reproduced through the real binaries and each now failing: typing into the terminal
// of the shell that started the worker, a key left in the kernel's per-uid keyring for the
// next user of the same job uid, and the kernel surface behind new namespaces and mounts.
// The jail needs root: without it these tests skip with a message saying so.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kJobUids = 8;
const uint32_t kFirstJobUid = 3700000 + (static_cast<uint32_t>(::getpid()) % 10000) * kJobUids;

// A pseudo-terminal: its slave becomes the workers' controlling terminal, and the test
// reads from it whatever reaches its input queue.
struct Terminal {
  int master = -1, reader = -1;
  std::string slave_path;
  Terminal() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) throw std::runtime_error("no pty");
    slave_path = ::ptsname(master);
    reader = ::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (reader < 0) throw std::runtime_error("cannot open " + slave_path);
    struct termios raw {};
    ::tcgetattr(reader, &raw);
    ::cfmakeraw(&raw);  // every byte readable at once, no line to wait for
    ::tcsetattr(reader, TCSANOW, &raw);
  }
  ~Terminal() {
    ::close(reader);
    ::close(master);
  }
  std::string typed() {
    std::string all;
    char buf[256];
    for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
    return all;
  }
};

class JailAttacks : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the jail needs root (namespaces, cgroups, per-job uids)";
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "SKIPPED: the attacks are python3 scripts";
    terminal = std::make_unique<Terminal>();
    mesh.worker_terminal = terminal->slave_path;  // as when started from the operator's shell
    mesh.start_schedd();
    std::string uids = std::to_string(kFirstJobUid) + "-" + std::to_string(kFirstJobUid + kJobUids - 1);
    mesh.start_worker(2, {"--isolation", "jail", "--job-pids", "64", "--job-uids", uids});
    mesh.await_workers(1);
    submit_dir = mesh.dir() + "/submit";
    fs::create_directories(submit_dir);
  }
  // Runs a python3 attack as `user`'s job to its end; returns its standard output.
  std::string run_attack(const std::string& name, const std::string& python, const std::string& user = "alice") {
    std::string script = mesh.write_script(name, "#!/usr/bin/python3\n" + python);
    uint64_t id = mesh.sbatch({script}, submit_dir, user);
    auto job = mesh.wait_job(id, user);
    EXPECT_EQ(job["job_state"], "COMPLETED") << job.dump();
    std::string out = submit_dir + "/" + name + ".d";
    auto fetch = mesh.run({"og-fetch", "-D", out, std::to_string(id)}, user);
    EXPECT_EQ(fetch.exit_code, 0) << fetch.err;
    return read_file(out + "/slurm-" + std::to_string(id) + ".out");
  }
  // The worker's controlling terminal is the test's pty (field 7 of its /proc stat).
  bool worker_holds_terminal() {
    for (const auto& entry : fs::directory_iterator("/proc")) {
      std::string cmdline = read_file(entry.path() / "cmdline");
      if (cmdline.find("og-worker") == std::string::npos || cmdline.find(mesh.dir()) == std::string::npos) continue;
      std::string stat = read_file(entry.path() / "stat");
      std::istringstream fields(stat.substr(stat.rfind(')') + 2));
      std::string state, ppid, pgrp, session, tty_nr;
      fields >> state >> ppid >> pgrp >> session >> tty_nr;
      return tty_nr != "0";
    }
    return false;
  }
  std::unique_ptr<Terminal> terminal;
  Mesh mesh;
  std::string submit_dir;
};

TEST_F(JailAttacks, AJobCannotTypeIntoTheTerminalItsWorkerWasStartedFrom) {
  ASSERT_TRUE(worker_holds_terminal()) << "else the test would prove nothing";
  std::string out = run_attack("tiocsti.py", R"PY(import errno, fcntl, os, termios
def push(fd, what):
    try:
        for c in what: fcntl.ioctl(fd, termios.TIOCSTI, c.encode())
        return "PUSHED"
    except OSError as e:
        return errno.errorcode[e.errno]
try:
    fd = os.open("/dev/tty", os.O_RDWR)
    print("tty", push(fd, "id > /tmp/og-pwned\n"))
except OSError as e:
    print("tty", errno.errorcode[e.errno])
print("stdin", push(0, "id\n"))
print("tty_nr", open("/proc/self/stat").read().rsplit(")", 1)[1].split()[4])
)PY");
  EXPECT_NE(out.find("tty ENOENT"), std::string::npos) << "no /dev/tty in the jail: " << out;
  EXPECT_NE(out.find("stdin EPERM"), std::string::npos) << "TIOCSTI refused by the filter: " << out;
  EXPECT_NE(out.find("tty_nr 0\n"), std::string::npos) << "no controlling terminal: " << out;
  EXPECT_EQ(out.find("PUSHED"), std::string::npos) << out;
  EXPECT_EQ(terminal->typed(), "") << "nothing reached the operator's terminal";
}

TEST_F(JailAttacks, AKeyOneUserStoresIsNeverReadByTheNextUsersJob) {
  // Both jobs run one after the other on one worker: the second gets the same job uid.
  const std::string syscall = R"PY(import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
KEY_SPEC_USER_KEYRING = -4
)PY";
  std::string alice = run_attack("store.py", syscall + R"PY(
r = libc.syscall(248, b"user", b"og-secret", b"alice-password", 14, KEY_SPEC_USER_KEYRING)  # add_key
print("add_key", "STORED" if r >= 0 else errno.errorcode[ctypes.get_errno()])
print("uid", __import__("os").getuid())
)PY");
  std::string bob = run_attack("read.py", syscall + R"PY(
r = libc.syscall(250, 0, KEY_SPEC_USER_KEYRING, 0)  # keyctl(KEYCTL_GET_KEYRING_ID)
print("keyctl", "READ" if r >= 0 else errno.errorcode[ctypes.get_errno()])
print("proc_keys", "alice" if "og-secret" in open("/proc/keys").read() else "none")
print("uid", __import__("os").getuid())
)PY", "bob");
  EXPECT_NE(alice.find("add_key EPERM"), std::string::npos) << alice;
  EXPECT_NE(bob.find("keyctl EPERM"), std::string::npos) << bob;
  EXPECT_NE(bob.find("proc_keys none"), std::string::npos) << bob;
  // Same uid: the keyring would have been shared had it been reachable.
  EXPECT_EQ(alice.substr(alice.find("uid")), bob.substr(bob.find("uid"))) << alice << bob;
}

TEST_F(JailAttacks, NewNamespacesMountsAndTracingAreRefusedWhileOrdinaryWorkRuns) {
  std::string out = run_attack("kernel.py", R"PY(import ctypes, errno, os, subprocess, threading
libc = ctypes.CDLL(None, use_errno=True)
def err(r): return "ALLOWED" if r == 0 else errno.errorcode[ctypes.get_errno()]
print("unshare_user", err(libc.unshare(0x10000000)))   # CLONE_NEWUSER
print("unshare_mount", err(libc.unshare(0x00020000)))  # CLONE_NEWNS
print("mount", err(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)))
print("ptrace", err(libc.ptrace(0, 0, None, None)))  # PTRACE_TRACEME
r = subprocess.run(["unshare", "-Urm", "true"], capture_output=True)
print("unshare_cmd", "ALLOWED" if r.returncode == 0 else "refused")
# What jobs do every day still works: threads, processes, pipes, files.
t = threading.Thread(target=lambda: None); t.start(); t.join()
print("work", subprocess.run(["sh", "-c", "echo ok | cat"], capture_output=True, text=True).stdout.strip())
)PY");
  for (const char* call : {"unshare_user EPERM", "unshare_mount EPERM", "mount EPERM", "ptrace EPERM", "unshare_cmd refused"})
    EXPECT_NE(out.find(call), std::string::npos) << call << " in " << out;
  EXPECT_NE(out.find("work ok"), std::string::npos) << out;
}

}  // namespace
}  // namespace og::test
