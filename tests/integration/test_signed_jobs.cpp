// Signed job bundles and secrets, end to end: og-sbatch packs, signs and uploads; og-schedd
// checks the signature against the user's registered key; the worker checks it again, and
// the bundle's digest, before anything runs — and refuses (BadSignature, BadBundle) when a
// store in between was tampered with.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/job_signature.hpp"
#include "core/sqlite.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

class SignedJobs : public ::testing::Test {
 protected:
  void SetUp() override {
    mesh.allow_unsigned = false;
    mesh.start_schedd();
    mesh.start_worker(2);
    mesh.await_workers(1);
    submit_dir = mesh.dir() + "/submit";
    fs::create_directories(submit_dir + "/data/nested");
    std::ofstream(submit_dir + "/data/in.txt") << "input 42\n";
    std::ofstream(submit_dir + "/data/nested/more.txt") << "more\n";
  }
  uint64_t submit(const std::string& name, const std::string& script, std::vector<std::string> args = {}) {
    args.push_back(mesh.write_script(name, script));
    return mesh.sbatch(args, submit_dir);
  }
  std::string fetched(uint64_t id, const std::string& file) {
    std::string where = mesh.dir() + "/fetched-" + std::to_string(id);
    auto r = mesh.run({"og-fetch", "-D", where, std::to_string(id)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_file(where + "/" + file);
  }
  // The job's spec as og-schedd stores it, rewritten while og-schedd is down (a
  // compromised scheduler or disk), then og-schedd back up.
  void tamper_with_stored_job(uint64_t id, const std::string& from, const std::string& to) {
    mesh.kill_schedd();
    {
      Database db(mesh.dir() + "/schedd/schedd.db");
      auto s = db.prepare("UPDATE jobs SET spec_json = replace(spec_json, ?2, ?3) WHERE id = ?1");
      s->bind(1, static_cast<int64_t>(id)).bind(2, from).bind(3, to).run();
    }
    mesh.start_schedd();
  }
  Mesh mesh;
  std::string submit_dir;
};

TEST_F(SignedJobs, InputsTravelInASignedBundleAndTheJobFindsThemInPlace) {
  uint64_t id = submit("in.sh", "#!/bin/bash\n#OG --input=data\n#OG --input=data/in.txt\n"
                                "cat data/in.txt data/nested/more.txt > result.txt\n");
  auto job = mesh.wait_job(id);
  ASSERT_EQ(job["job_state"], "COMPLETED") << job.dump();
  EXPECT_EQ(fetched(id, "result.txt"), "input 42\nmore\n");
  std::string bundle = job["bundle_sha256"], signer = job["signer"];
  ASSERT_EQ(bundle.size(), 64u);
  ASSERT_EQ(signer.size(), 64u);
  auto sacct = mesh.run({"og-sacct", "-j", std::to_string(id), "--trust", "--noheader"});
  ASSERT_EQ(sacct.exit_code, 0) << sacct.err;
  EXPECT_NE(sacct.out.find("none"), std::string::npos) << "this test's worker runs --isolation none: " << sacct.out;
  EXPECT_NE(sacct.out.find(bundle.substr(0, 16)), std::string::npos) << sacct.out;
  EXPECT_NE(sacct.out.find(signer.substr(0, 16)), std::string::npos) << sacct.out;
}

// og-sbatch remembers which og-schedd holds its key (one round trip a submission): the
// memory keeps the newest registrations, not one line for every address ever used.
TEST_F(SignedJobs, TheRegistrationMemoryKeepsTheNewestEntriesOnly) {
  std::string key_dir = mesh.dir() + "/keys-alice";
  fs::create_directories(key_dir);
  {
    std::ofstream old(key_dir + "/registered");
    for (int port = 1; port <= 40; ++port) old << "http://127.0.0.1:" << port << " 00ab alice\n";
  }
  submit("one.sh", "#!/bin/bash\n#SBATCH --hold\ntrue\n");
  std::vector<std::string> lines;
  std::ifstream in(key_dir + "/registered");
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 32u);
  EXPECT_EQ(lines.front(), "http://127.0.0.1:10 00ab alice") << "the oldest went first";
  EXPECT_EQ(lines.back().rfind(mesh.url() + " ", 0), 0u) << lines.back();
  submit("two.sh", "#!/bin/bash\n#SBATCH --hold\ntrue\n");  // found: nothing written
  EXPECT_EQ(read_file(key_dir + "/registered").size(), [&] {
    size_t n = 0;
    for (const auto& l : lines) n += l.size() + 1;
    return n;
  }());
}

TEST_F(SignedJobs, UnsignedJobsAreRefusedAtSubmission) {
  try {
    mesh.client().call("POST", "/og/v1/jobs", {{"job", {{"script", "#!/bin/sh\ntrue\n"}}}});
    FAIL() << "an unsigned job was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("signed"), std::string::npos) << e.what();
  }
}

TEST_F(SignedJobs, AJobSignedWithAnotherKeyIsRefusedAtSubmission) {
  ASSERT_NE(submit("first.sh", "#!/bin/sh\ntrue\n"), 0u);  // registers alice's key
  JobSpec spec;
  spec.script = "#!/bin/sh\ntrue\n";
  sign_job("alice", spec, generate_ed25519());  // mallory's key, alice's name
  try {
    mesh.client().call("POST", "/og/v1/jobs", {{"job", to_json(spec)}});
    FAIL() << "a job signed with a foreign key was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("not alice's registered key"), std::string::npos) << e.what();
  }
}

TEST_F(SignedJobs, NoOneCanNameAnotherUsersBundle) {
  uint64_t id = submit("mine.sh", "#!/bin/bash\n#OG --input=data/in.txt\ncat data/in.txt\n");
  std::string digest = mesh.job(id)["bundle_sha256"];
  ASSERT_NE(mesh.sbatch({mesh.write_script("bob.sh", "#!/bin/sh\ntrue\n")}, submit_dir, "bob"), 0u);  // bob's key
  JobSpec theft;
  theft.script = "#!/bin/sh\ncat data/in.txt\n";
  theft.bundle_sha256 = digest;  // alice's inputs, public in og-squeue
  sign_job("bob", theft, load_or_create_key(mesh.dir() + "/keys-bob"));
  try {
    mesh.client("bob").call("POST", "/og/v1/jobs", {{"job", to_json(theft)}});
    FAIL() << "bob's job ran on alice's bundle";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("was uploaded by"), std::string::npos) << e.what();
  }
}

TEST_F(SignedJobs, AScriptAlteredAfterSigningIsRefusedByTheWorker) {
  uint64_t id = submit("alter.sh", "#!/bin/bash\n#SBATCH --hold\necho honest > out.txt\n");
  tamper_with_stored_job(id, "echo honest", "echo pwned");
  ASSERT_EQ(mesh.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "FAILED");
  EXPECT_EQ(job["state_reason"], "BadSignature") << job.dump();
}

TEST_F(SignedJobs, ATamperedBundleIsRefusedByTheWorker) {
  uint64_t id = submit("bundle.sh", "#!/bin/bash\n#SBATCH --hold\n#OG --input=data/in.txt\ncat data/in.txt\n");
  std::string digest = mesh.job(id)["bundle_sha256"];
  std::string blob = mesh.dir() + "/schedd/bundles/" + digest.substr(0, 2) + "/" + digest;
  ASSERT_TRUE(fs::exists(blob));
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(blob, std::ios::binary | std::ios::trunc) << "not the bundle";
  ASSERT_EQ(mesh.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "FAILED");
  EXPECT_EQ(job["state_reason"], "BadBundle") << job.dump();
}

TEST_F(SignedJobs, AJobWithSecretsGoesOnlyToAJail) {
  std::ofstream(submit_dir + "/key.txt") << "s3cr3t";
  uint64_t id = submit("secret.sh", "#!/bin/bash\n#OG --secret=api_key=key.txt\ntrue\n");
  uint64_t plain = submit("plain.sh", "#!/bin/bash\ntrue\n");
  EXPECT_EQ(mesh.wait_job(plain)["job_state"], "COMPLETED");
  EXPECT_EQ(mesh.job(id)["job_state"], "PENDING") << "below a jail other jobs could read its secrets";
}

// Isolation levels: a job that demands a jail waits for one; the rlimit fallback announces
// itself and still bounds memory. (These run without root.)
TEST_F(SignedJobs, AJobDemandingAJailWaitsForOneAndRunsWhereItMayNot) {
  uint64_t id = submit("strict.sh", "#!/bin/bash\n#OG --isolation=jail\ntrue\n");
  uint64_t lax = submit("lax.sh", "#!/bin/bash\n#OG --isolation=none\ntrue\n");
  ASSERT_TRUE(mesh.await_state(lax, "COMPLETED", "alice", std::chrono::seconds(5))) << mesh.job(id).dump() << mesh.job(lax).dump();
  auto job = mesh.job(id);
  EXPECT_EQ(job["job_state"], "PENDING") << "this mesh's worker runs --isolation none";
  EXPECT_EQ(job["isolation_required"], "jail");
  auto sinfo = mesh.client().call("GET", "/og/v1/partitions")["partitions"];
  EXPECT_EQ(sinfo[0]["isolation"], "none");
}

TEST_F(SignedJobs, TheRlimitFallbackWarnsAndStillBoundsMemory) {
  std::string w = mesh.start_worker(1, {"--isolation", "rlimit", "--features", "rl"});
  mesh.await_workers(2);
  EXPECT_TRUE(await([&] { return read_file(mesh.dir() + "/" + w + ".log").find("sandbox_weak") != std::string::npos; }));
  uint64_t id = submit("rlmem.sh", "#!/bin/bash\n#SBATCH --mem=64M -C rl\n#OG --isolation=rlimit\n"
                                   "perl -e '$x = \"a\" x (512 * 1024 * 1024); print length $x'\n");
  auto job = mesh.wait_job(id);
  EXPECT_EQ(job["job_state"], "FAILED") << job.dump();
  EXPECT_EQ(job["isolation"], "rlimit");
}

}  // namespace
}  // namespace og::test
