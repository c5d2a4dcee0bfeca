// Bringing a result home never loses a file of the user's: files a job was given and left
// alone do not come back, a local file is replaced only by the job's change to the very
// version it was given, and any other local file that differs stays, the job's version
// written beside it — by og-sbatch --wait and og-fetch alike; og-fetch --force replaces.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::trunc) << text;
}

TEST(Fetch, NoLocalFileIsLost) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  std::string home = mesh.dir() + "/home";
  write(home + "/data/in.txt", "given\n");        // the job reads it only
  write(home + "/data/log.txt", "line 1\n");      // the job adds to it; left alone here
  write(home + "/data/notes.txt", "mine\n");      // the job adds to it; edited here too
  write(home + "/result.txt", "an earlier run\n");  // not given to the job; it writes one
  std::string script = mesh.write_script("job.sh",
                                         "#!/bin/bash\n#OG --input=data\n"
                                         "cat data/in.txt > result.txt\necho line 2 >> data/log.txt\n"
                                         "echo theirs >> data/notes.txt\necho new > new.txt\n");
  uint64_t id = mesh.sbatch({script}, home);
  ASSERT_EQ(mesh.wait_job(id)["job_state"], "COMPLETED");
  write(home + "/data/in.txt", "edited while it ran\n");
  write(home + "/data/notes.txt", "mine, edited\n");

  auto fetch = mesh.run({"og-fetch", std::to_string(id)}, "alice", home);
  ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
  std::string tag = ".job" + std::to_string(id);
  EXPECT_EQ(read_file(home + "/data/in.txt"), "edited while it ran\n") << "given, unchanged by the job: not fetched";
  EXPECT_EQ(read_file(home + "/data/log.txt"), "line 1\nline 2\n") << "the job's change to what it was given";
  EXPECT_EQ(read_file(home + "/data/notes.txt"), "mine, edited\n") << "changed on both sides: ours stays";
  EXPECT_EQ(read_file(home + "/data/notes" + tag + ".txt"), "mine\ntheirs\n");
  EXPECT_EQ(read_file(home + "/result.txt"), "an earlier run\n");
  EXPECT_EQ(read_file(home + "/result" + tag + ".txt"), "given\n");
  EXPECT_EQ(read_file(home + "/new.txt"), "new\n");
  EXPECT_FALSE(fs::exists(home + "/data/in" + tag + ".txt"));
  EXPECT_NE(fetch.err.find("kept your result.txt, which differs from job " + std::to_string(id) +
                           "'s; the job's version is result" + tag + ".txt (og-fetch --force " + std::to_string(id)),
            std::string::npos)
      << fetch.err;
  EXPECT_NE(fetch.err.find("kept your data/notes.txt"), std::string::npos) << fetch.err;
  EXPECT_NE(fetch.out.find("(2 beside yours)"), std::string::npos) << fetch.out;
  EXPECT_NE(fetch.out.find("1 file it was given left out"), std::string::npos) << fetch.out;

  // Again: everything is there already, nothing is written twice.
  auto again = mesh.run({"og-fetch", std::to_string(id)}, "alice", home);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err, "");
  EXPECT_NE(again.out.find(": 0 files of the accepted result written"), std::string::npos) << again.out;

  auto force = mesh.run({"og-fetch", "--force", std::to_string(id)}, "alice", home);
  ASSERT_EQ(force.exit_code, 0) << force.err;
  EXPECT_EQ(read_file(home + "/result.txt"), "given\n") << "--force replaces";
  EXPECT_EQ(read_file(home + "/data/notes.txt"), "mine\ntheirs\n");
  EXPECT_EQ(read_file(home + "/data/in.txt"), "edited while it ran\n") << "even --force leaves what the job did not change";
}

TEST(Fetch, SbatchWaitKeepsAnEarlierRunsResult) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  std::string home = mesh.dir() + "/home";
  write(home + "/result.txt", "first run\n");
  std::string script = mesh.write_script("again.sh", "#!/bin/bash\necho second run > result.txt\n");
  auto r = mesh.run({"og-sbatch", "--wait", "--parsable", script}, "alice", home);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  EXPECT_EQ(read_file(home + "/result.txt"), "first run\n");
  EXPECT_EQ(read_file(home + "/result.job" + id + ".txt"), "second run\n");
  EXPECT_NE(r.err.find("og-sbatch: kept your result.txt"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(home + "/slurm-" + id + ".out"), "") << "its own output, new, is written as it is";
}

TEST(Fetch, AJobWithoutAnAcceptedResultGivesEachReplicasOwnOutputsMarkedUnverified) {
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.start_worker(2);
  mesh.await_workers(2);
  std::string home = mesh.dir() + "/home";
  fs::create_directories(home);
  // Two replicas that cannot agree: each writes its own lease id.
  std::string script = mesh.write_script("apart.sh", "#!/bin/bash\n#SBATCH --replicas=2 --quorum=2\necho $OG_LEASE_ID > out.txt\n");
  uint64_t id = mesh.sbatch({script}, home);
  ASSERT_EQ(mesh.wait_job(id)["state_reason"], "NoQuorum");
  auto job = mesh.job(id);  // with its replica leases
  auto plain = mesh.run({"og-fetch", std::to_string(id)}, "alice", home);
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_NE(plain.err.find("og-fetch --unverified " + std::to_string(id)), std::string::npos) << plain.err;

  auto r = mesh.run({"og-fetch", "--unverified", std::to_string(id)}, "alice", home);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t seen = 0;
  for (const auto& lease : job["replica_leases"]) {
    std::string lease_id = std::to_string(lease["lease_id"].get<uint64_t>());
    std::string dir = home + "/job" + std::to_string(id) + ".unverified/lease-" + lease_id;
    EXPECT_EQ(read_file(dir + "/out.txt"), lease_id + "\n") << "each provider's own, as it reported it";
    EXPECT_NE(r.out.find("lease " + lease_id + " ("), std::string::npos) << r.out;
    ++seen;
  }
  EXPECT_EQ(seen, 2u);
  EXPECT_NE(r.out.find("NOT verified by any quorum"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(home + "/out.txt")) << "never among your files";
  EXPECT_NE(mesh.run({"og-fetch", "--unverified", std::to_string(id)}, "bob", home).exit_code, 0)
      << "another user's job";
}

}  // namespace
}  // namespace og::test
