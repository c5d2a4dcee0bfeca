// Jobs that bring their own software and data: images and data sets from a real registry
// (Debian's docker-registry on loopback, one for the whole suite), pinned by digest at
// submission, checked by digest on the provider, cached and shared there.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/oci_registry.hpp"
#include "core/process.hpp"
#include "core/sha256.hpp"
#include "tests/integration/fake_gpus.hpp"
#include "tests/integration/local_registry.hpp"
#include "tests/integration/mesh.hpp"
#include "worker/image_store.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

std::string python_layer(const std::string& out, const std::vector<std::string>& args) {
  Mesh shell;
  std::vector<std::string> argv = {"/usr/bin/python3", source_path("tests/integration/make_image_layer.py"), out};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = shell.exec(argv);
  if (r.exit_code != 0) throw std::runtime_error("make_image_layer.py: " + r.err);
  return out;
}

// Pushes an image of these layers (gzip tars) with this Env; returns its digest.
std::string push_image(const std::string& registry, const std::string& repo, const std::string& tag,
                       const std::vector<std::string>& layers, const std::vector<std::string>& env = {}) {
  RegistryClient client(registry, true);
  nlohmann::json layer_list = nlohmann::json::array();
  for (const auto& file : layers) {
    std::string digest = "sha256:" + sha256_file_hex(file);
    client.push_blob_file(repo, digest, file);
    layer_list.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                          {"digest", digest},
                          {"size", fs::file_size(file)}});
  }
  std::string config = nlohmann::json{{"architecture", "amd64"}, {"os", "linux"},
                                      {"config", {{"Env", env}, {"WorkingDir", "/"}}},
                                      {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}}
                           .dump();
  std::string config_digest = "sha256:" + sha256_hex(config);
  client.push_blob_bytes(repo, config_digest, config);
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", kOciManifestType},
                             {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                         {"digest", config_digest},
                                         {"size", config.size()}}},
                             {"layers", layer_list}};
  return client.push_manifest(repo, tag, kOciManifestType, manifest.dump());
}

class Images : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = new std::string(fs::temp_directory_path() / ("og-images-" + std::to_string(::getpid())));
    fs::create_directories(*work_);
    registry_ = new LocalRegistry(*work_ + "/registry");
    base_layer_ = new std::string(python_layer(*work_ + "/base.tar.gz", {"base", "42"}));
    push_image(registry_->address, "og-test/base", "1", {*base_layer_},
               {"PATH=/usr/local/bin:/usr/bin:/bin", "IMAGE_GREETING=hello-from-config"});
  }
  static void TearDownTestSuite() {
    delete registry_;
    fs::remove_all(*work_);
    delete work_;
    delete base_layer_;
  }

  // A mesh of `workers` jailed workers that pull from the suite's registry.
  void start_mesh(int workers = 1) {
    mesh_.start_schedd();
    for (int i = 0; i < workers; ++i)
      mesh_.start_worker(2, {"--isolation", "jail", "--allow-registry", "http://" + registry_->address});
    mesh_.await_workers(workers);
  }

  std::string job_script(const std::string& directives, const std::string& body) {
    static int n = 0;
    return mesh_.write_script("job" + std::to_string(++n) + ".sh", "#!/bin/bash\n" + directives + body);
  }

  static std::string* work_;
  static LocalRegistry* registry_;
  static std::string* base_layer_;
  Mesh mesh_;
};

std::string* Images::work_ = nullptr;
LocalRegistry* Images::registry_ = nullptr;
std::string* Images::base_layer_ = nullptr;

TEST_F(Images, AJobRunsInItsImageAndReplicasOnTwoProvidersAgree) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: images are mounted by the jail, which needs root";
  ASSERT_FALSE(fs::exists("/usr/local/bin/og-image-answer")) << "the host must not have the image's program";
  start_mesh(2);
  std::string ref = registry_->address + "/og-test/base:1";
  uint64_t id = mesh_.sbatch({job_script("#SBATCH --container-image=" + ref + "\n#SBATCH --replicas=2\n",
                                         "og-image-answer\necho \"greeting=$IMAGE_GREETING\"\n"
                                         "[ -e /usr/bin/python3 ] && echo host-root || echo image-root\n")},
                             mesh_.dir());
  std::string out = mesh_.finished_output(id, mesh_.dir() + "/fetched");
  EXPECT_NE(out.find("answer from the image: 42"), std::string::npos) << out;
  EXPECT_NE(out.find("greeting=hello-from-config"), std::string::npos) << "the image config's Env applies: " << out;
  EXPECT_NE(out.find("image-root"), std::string::npos) << "the host's /usr is not there: " << out;
  auto job = mesh_.await_replicas_done(id, 2);
  EXPECT_EQ(job["job_state"], "COMPLETED");
  // Pinned at submission: the spec names the digest, which the signature covers.
  auto shown = mesh_.run({"og-scontrol", "show", "job", std::to_string(id)});
  EXPECT_NE(shown.out.find("ContainerImage=" + registry_->address + "/og-test/base@sha256:"), std::string::npos) << shown.out;
  auto events = mesh_.client().call("GET", "/og/v1/jobs/" + std::to_string(id) + "/events")["events"];
  EXPECT_NE(events.dump().find("to fetch (not billed)"), std::string::npos) << events.dump();
}

TEST_F(Images, ATagMovedAfterSubmissionChangesNothing) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: images are mounted by the jail, which needs root";
  push_image(registry_->address, "og-test/moving", "1", {*base_layer_}, {"PATH=/usr/local/bin:/usr/bin:/bin"});
  start_mesh();
  uint64_t id = mesh_.sbatch({"--hold", job_script("#SBATCH --container-image=" + registry_->address + "/og-test/moving:1\n",
                                                   "og-image-answer\n")},
                             mesh_.dir());
  // Moved to another image while the job waits: it still runs the one it was signed with.
  std::string moved = python_layer(*work_ + "/moved.tar.gz", {"base", "99"});
  push_image(registry_->address, "og-test/moving", "1", {moved}, {"PATH=/usr/local/bin:/usr/bin:/bin"});
  ASSERT_EQ(mesh_.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  std::string out = mesh_.finished_output(id, mesh_.dir() + "/fetched");
  EXPECT_NE(out.find("answer from the image: 42"), std::string::npos) << out;
}

TEST_F(Images, AlteredOrMaliciousContentFailsBadImageAndNothingRuns) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: images are mounted by the jail, which needs root";
  // A layer altered in the registry's storage after it was pushed.
  std::string layer = python_layer(*work_ + "/altered.tar.gz", {"base", "44"});
  push_image(registry_->address, "og-test/altered", "1", {layer});
  std::string layer_digest = "sha256:" + sha256_file_hex(layer);
  // A manifest altered likewise (its own blob, in another repository).
  std::string manifest_digest = push_image(registry_->address, "og-test/altered-manifest", "1", {*base_layer_});
  // A layer that writes outside the image's root.
  std::string evil = python_layer(*work_ + "/evil.tar.gz", {"absolute"});
  push_image(registry_->address, "og-test/evil", "1", {*base_layer_, evil});
  start_mesh();
  std::vector<uint64_t> ids;
  for (const char* repo : {"og-test/altered", "og-test/altered-manifest", "og-test/evil"})
    ids.push_back(mesh_.sbatch({job_script(std::string("#SBATCH --container-image=") + registry_->address + "/" + repo + ":1\n"
                                           "#SBATCH --hold\n",
                                           "touch ran-it\n")},
                               mesh_.dir()));
  for (const auto& digest : {layer_digest, manifest_digest}) {
    std::fstream blob(registry_->blob_file(digest), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(blob.good()) << registry_->blob_file(digest);
    blob.seekp(40);
    blob.put('X');
  }
  for (uint64_t id : ids) ASSERT_EQ(mesh_.run({"og-scontrol", "release", std::to_string(id)}).exit_code, 0);
  for (uint64_t id : ids) {
    auto job = mesh_.wait_job(id);
    EXPECT_EQ(job["job_state"], "FAILED") << job.dump();
    EXPECT_EQ(job["state_reason"], "BadImage") << job.dump();
  }
  EXPECT_FALSE(fs::exists("/etc/og-escaped"));
  auto fetch = mesh_.run({"og-fetch", "--unverified", "-D", mesh_.dir() + "/bad", std::to_string(ids[0])});
  EXPECT_FALSE(fs::exists(mesh_.dir() + "/bad/ran-it")) << "nothing of the job ran";
}

TEST_F(Images, ADataSetIsMountedReadOnlyAtDataName) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: data sets are mounted by the jail, which needs root";
  fs::create_directories(*work_ + "/nums");
  std::ofstream(*work_ + "/nums/numbers.txt") << "1 2 3\n";
  std::ofstream(*work_ + "/nums/more.txt") << "4 5\n";
  Mesh tools;
  auto pushed = tools.exec({bin_path("og-data"), "push", *work_ + "/nums", registry_->address + "/og-test/nums:1"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_NE(pushed.out.find("og-test/nums:1@sha256:"), std::string::npos) << pushed.out;
  start_mesh();
  uint64_t id = mesh_.sbatch({job_script("#SBATCH --container-image=" + registry_->address + "/og-test/base:1\n"
                                         "#OG --data=nums=" + registry_->address + "/og-test/nums:1\n",
                                         "cat /data/nums/numbers.txt /data/nums/more.txt\n"
                                         "touch /data/nums/x 2>/dev/null && echo writable || echo read-only\n")},
                             mesh_.dir());
  std::string out = mesh_.finished_output(id, mesh_.dir() + "/fetched");
  EXPECT_EQ(out, "1 2 3\n4 5\nread-only\n");
}

TEST_F(Images, AGpuJobInAnImageGetsTheHostsDriverLibrariesAndOnlyItsGpu) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the jail and fake GPU device nodes need root";
  FakeGpus gpus = make_fake_gpus(mesh_.dir() + "/gpus");
  mesh_.start_schedd();
  std::vector<std::string> options = {"--isolation", "jail", "--allow-registry", "http://" + registry_->address};
  for (const auto& o : gpus.worker_options()) options.push_back(o);
  mesh_.start_worker(2, options);
  mesh_.await_workers(1);
  uint64_t id = mesh_.sbatch({job_script("#SBATCH --container-image=" + registry_->address + "/og-test/base:1\n"
                                         "#SBATCH --gpus=1\n",
                                         "cat /usr/lib/x86_64-linux-gnu/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15\n"
                                         "echo /dev/nvidia*\n"
                                         "touch /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null && echo writable || echo read-only\n")},
                             mesh_.dir());
  std::string out = mesh_.finished_output(id, mesh_.dir() + "/fetched");
  EXPECT_EQ(out, "the host's driver 550.54.15\nthe host's driver 550.54.15\n/dev/nvidia0 /dev/nvidiactl\nread-only\n");
}

// The cache itself, on the same registry (no jail needed).
class ImageCache : public Images {
 protected:
  std::string push_data(const std::string& name, size_t bytes, char fill) {
    std::string dir = *work_ + "/" + name;
    fs::create_directories(dir);
    std::ofstream(dir + "/blob.bin") << std::string(bytes, fill);
    auto r = mesh_.exec({bin_path("og-data"), "push", dir, registry_->address + "/og-test/" + name + ":1"});
    if (r.exit_code != 0) throw std::runtime_error(r.err);
    std::string line = r.out.substr(0, r.out.find('\n'));
    return registry_->address + "/og-test/" + name + line.substr(line.find('@'));
  }
  ImageStoreOptions options(uint64_t cap, const std::string& registry) {
    ImageStoreOptions o;
    o.dir = *work_ + "/cache-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
            std::to_string(++caches_);
    o.cap_bytes = cap;
    o.registries = {parse_allowed_registry("http://" + registry)};
    return o;
  }
  int caches_ = 0;
};

TEST_F(ImageCache, EvictsWhatWasUsedLeastRecentlyButNeverWhatAJobHolds) {
  std::string a = push_data("cache-a", 300'000, 'a'), b = push_data("cache-b", 300'000, 'b'),
              c = push_data("cache-c", 300'000, 'c');
  ImageStore store(options(700'000, registry_->address));
  auto digest = [](const std::string& ref) { return ref.substr(ref.find('@') + 1); };
  auto holds = [&](const std::string& ref) {
    auto d = store.digests();
    return std::find(d.begin(), d.end(), digest(ref)) != d.end();
  };
  CachedContent held_a = store.data(a);
  store.data(b);  // used and let go at once
  store.data(c);  // 900 kB now: over the cap
  EXPECT_TRUE(holds(a)) << "a running job holds it";
  EXPECT_FALSE(holds(b)) << "least recently used, and held by nobody";
  EXPECT_TRUE(holds(c));
  EXPECT_LE(store.bytes_held(), 700'000u);
  held_a.hold.reset();
  CachedContent again = store.data(b);
  EXPECT_TRUE(again.pulled) << "fetched again after its eviction";
  std::ifstream in(again.path + "/blob.bin");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), std::string(300'000, 'b'));
}

TEST_F(ImageCache, TwoJobsAskingAtOnceShareOnePull) {
  std::string big = push_data("shared", 32 << 20, 's');
  ImageStore store(options(1ull << 30, registry_->address));
  CachedContent first, second;
  std::thread other([&] { second = store.data(big); });
  first = store.data(big);
  other.join();
  EXPECT_NE(first.pulled, second.pulled) << "one of them pulled, the other waited for it";
  EXPECT_EQ(store.bytes_fetched(), uint64_t{32} << 20) << "fetched once";
  EXPECT_EQ(first.path, second.path);
}

TEST_F(ImageCache, ARegistryNotAllowedIsRefusedWithTheReason) {
  std::string ref = push_data("not-allowed", 1000, 'n');
  ImageStore store(options(1ull << 30, "127.0.0.1:1"));
  try {
    store.data(ref);
    ADD_FAILURE() << "pulled from a registry the operator did not allow";
  } catch (const ImageStoreError& e) {
    EXPECT_EQ(e.kind(), ImageStoreError::Kind::NotAllowed);
    EXPECT_NE(std::string(e.what()).find("--allow-registry " + registry_->address), std::string::npos) << e.what();
  }
}

TEST_F(ImageCache, ARegistryThatGoesAwayMidPullIsTheProvidersTroubleNotTheJobs) {
  LocalRegistry fleeting(*work_ + "/fleeting");
  std::string dir = *work_ + "/fleeting-data";
  fs::create_directories(dir);
  std::ofstream(dir + "/big.bin") << std::string(96 << 20, 'f');
  auto r = mesh_.exec({bin_path("og-data"), "push", dir, fleeting.address + "/og-test/fleeting:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string ref = fleeting.address + "/og-test/fleeting" + r.out.substr(r.out.find('@'), 72);
  auto o = options(1ull << 30, fleeting.address);
  o.progress = [&fleeting, killed = false](uint64_t) mutable {
    if (!killed) fleeting.kill_now();
    killed = true;
  };
  ImageStore store(o);
  try {
    store.data(ref);
    ADD_FAILURE() << "a pull completed from a registry killed in the middle of it";
  } catch (const ImageStoreError& e) {
    EXPECT_EQ(e.kind(), ImageStoreError::Kind::Unreachable) << e.what();  // the lease goes back, not failed
  }
  EXPECT_TRUE(store.digests().empty());
  EXPECT_TRUE(fs::is_empty(o.dir + "/partial")) << "nothing half-fetched is kept";
}

}  // namespace
}  // namespace og::test
