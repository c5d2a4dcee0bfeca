// A job's output while it runs and after: og-tail prints the end of its output file and
// with -f follows it live (the worker streams it through og-schedd) until the job ends; a
// cancelled job's files can still be had, marked unverified; nobody but its owner reads it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

// A job that writes a line to each stream, waits for `go` to exist, then writes its last.
std::string gated_script(Mesh& mesh, const std::string& go) {
  return mesh.write_script("gated.sh", "#!/bin/bash\necho first line\necho to err >&2\n"
                                       "while [ ! -e " + go + " ]; do sleep 0.05; done\necho last line\n");
}

TEST(LiveOutput, OgTailFollowsARunningJobUntilItEnds) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  const std::string go = mesh.dir() + "/go";
  uint64_t id = mesh.sbatch({gated_script(mesh, go)});
  const std::string job = std::to_string(id);

  auto following = std::async(std::launch::async, [&] { return mesh.run({"og-tail", "-f", job}); });
  // Without -f: what the running job has written so far, live from its worker.
  CommandResult now;
  ASSERT_TRUE(await([&] {
    now = mesh.run({"og-tail", job});
    return now.out == "first line\nto err\n";
  })) << now.out << now.err;
  EXPECT_EQ(mesh.job(id)["job_state"], "RUNNING");
  EXPECT_EQ(mesh.run({"og-tail", "-n", "1", job}).out, "to err\n");

  // Another user learns nothing of it.
  auto bob = mesh.run({"og-tail", job}, "bob");
  EXPECT_NE(bob.exit_code, 0);
  EXPECT_EQ(bob.out, "");

  std::ofstream(go) << "";
  ASSERT_EQ(following.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "og-tail -f ends with the job";
  auto followed = following.get();
  EXPECT_EQ(followed.exit_code, 0) << followed.err;
  EXPECT_EQ(followed.out, "first line\nto err\nlast line\n");
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");

  // Ended: from the file its replica reported.
  EXPECT_EQ(mesh.run({"og-tail", "-n", "2", job}).out, "to err\nlast line\n");
  EXPECT_EQ(mesh.run({"og-tail", "-n", "+2", job}).out, "to err\nlast line\n");
  EXPECT_EQ(mesh.run({"og-tail", "-f", job}).out, "first line\nto err\nlast line\n");
  auto too_far = mesh.run({"og-tail", "--replica", "2", job});
  EXPECT_NE(too_far.err.find("has 1 replica(s)"), std::string::npos) << too_far.err;
}

TEST(LiveOutput, ErrorFileOfItsOwnAndAJobNotStarted) {
  Mesh mesh;
  mesh.start_schedd();
  // Pending: there is nothing to print yet, and og-tail says how to wait for it.
  uint64_t pending = mesh.sbatch({"-e", "errors-%j.txt", mesh.write_script("p.sh", "#!/bin/bash\necho out\necho err >&2\n")});
  auto early = mesh.run({"og-tail", std::to_string(pending)});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.err.find("has not started (PENDING); og-tail -f " + std::to_string(pending) + " waits for it"),
            std::string::npos)
      << early.err;
  // A job cancelled before it ran: og-tail -f says so and ends (it does not wait for ever).
  uint64_t never = mesh.sbatch({"-H", mesh.write_script("n.sh", "#!/bin/bash\necho never\n")});
  ASSERT_EQ(mesh.run({"og-scancel", std::to_string(never)}).exit_code, 0);
  auto ended = mesh.run({"og-tail", "-f", std::to_string(never)});
  EXPECT_EQ(ended.exit_code, 1);
  EXPECT_NE(ended.err.find("job " + std::to_string(never) + " ended (CANCELLED) without running"), std::string::npos)
      << ended.err;
  auto following = std::async(std::launch::async, [&] { return mesh.run({"og-tail", "-f", "-e", std::to_string(pending)}); });
  mesh.start_worker(2);
  ASSERT_EQ(following.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto followed = following.get();
  EXPECT_EQ(followed.exit_code, 0) << followed.err;
  EXPECT_EQ(followed.out, "err\n") << "-e: the --error file";
  EXPECT_EQ(mesh.run({"og-tail", std::to_string(pending)}).out, "out\n");
}

TEST(LiveOutput, ALongOutputComesASliceAtATime) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(1);
  mesh.await_workers(1);
  uint64_t id = mesh.sbatch({mesh.write_script("long.sh", "#!/bin/bash\nseq 1 100000\n")});
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  std::string expected;
  for (int i = 1; i <= 100000; ++i) expected += std::to_string(i) + "\n";  // 588,895 bytes: three slices
  auto all = mesh.run({"og-tail", "-n", "+1", std::to_string(id)});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(all.out == expected) << all.out.size() << " bytes, not " << expected.size();
  EXPECT_EQ(mesh.run({"og-tail", "-n", "2", std::to_string(id)}).out, "99999\n100000\n");
}

TEST(LiveOutput, ACancelledJobsFilesComeUnverified) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  uint64_t id = mesh.sbatch({mesh.write_script(
      "long.sh", "#!/bin/bash\necho partial > part.txt\necho working\nexec sleep 600\n")});
  const std::string job = std::to_string(id);
  ASSERT_TRUE(await([&] { return mesh.run({"og-tail", job}).out == "working\n"; }));
  ASSERT_EQ(mesh.run({"og-scancel", job}).exit_code, 0);
  ASSERT_TRUE(await([&] {
    auto view = mesh.job(id);
    return view["job_state"] == "CANCELLED" && !view["replica_leases"][0].value("root", std::string()).empty();
  })) << mesh.job(id).dump();
  EXPECT_EQ(mesh.run({"og-tail", job}).out, "working\n") << "its output, as it reported it";

  std::string home = mesh.dir() + "/home";
  fs::create_directories(home);
  auto fetched = mesh.run({"og-fetch", "--unverified", job}, "alice", home);
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_NE(fetched.out.find("NOT verified"), std::string::npos) << fetched.out;
  uint64_t lease = mesh.job(id)["replica_leases"][0]["lease_id"];
  std::string dir = home + "/job" + job + ".unverified/lease-" + std::to_string(lease);
  EXPECT_EQ(read_file(dir + "/part.txt"), "partial\n");
  EXPECT_EQ(read_file(dir + "/slurm-" + job + ".out"), "working\n");
}

}  // namespace
}  // namespace og::test
