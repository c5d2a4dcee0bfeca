// Job bundles (ustar, written deterministically, unpacked defensively) and the signature
// over a job.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "core/bundle.hpp"
#include "core/job_signature.hpp"
#include "core/sha256.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
  fs::permissions(p, perms);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One hand-made ustar entry, for archives og-sbatch would never write.
std::string raw_entry(const std::string& name, char type, const std::string& data = "", const std::string& link = "",
                      const std::string& mode = "0000644") {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::memcpy(h.data() + 100, mode.data(), 7);
  std::memcpy(h.data() + 108, "0000000", 7);
  std::memcpy(h.data() + 116, "0000000", 7);
  char size[12];
  std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(data.size()));
  std::memcpy(h.data() + 124, size, 11);
  std::memcpy(h.data() + 136, "00000000000", 11);
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(h.data() + 257, "ustar\0" "00", 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  char cs[8];
  std::snprintf(cs, sizeof cs, "%06o", sum);
  std::memcpy(h.data() + 148, cs, 7);
  h[155] = ' ';
  std::string body = data;
  body.append((512 - data.size() % 512) % 512, '\0');
  return h + body;
}

std::string archive_of(std::initializer_list<std::string> entries) {
  std::string out;
  for (const auto& e : entries) out += e;
  return out + std::string(1024, '\0');
}

std::string refusal(const std::string& archive, const BundleLimits& limits = {}) {
  test::TempDir dir("og-bundle");
  try {
    unpack_bundle(archive, dir.path().string(), limits);
  } catch (const BundleError& e) {
    return e.what();
  }
  return "";
}

TEST(Bundle, FilesDirectoriesAndInnerLinksRoundTripWithTheirModes) {
  test::TempDir src("og-bundle-src"), dst("og-bundle-dst");
  write(src.path() / "data/a.csv", "1,2\n");
  write(src.path() / "data/deep/b.txt", "b");
  write(src.path() / "run.sh", "#!/bin/sh\n", fs::perms::owner_all);
  fs::create_symlink("deep/b.txt", src.path() / "data/link");
  std::string archive = pack_bundle({{"data", (src.path() / "data").string()}, {"run.sh", (src.path() / "run.sh").string()}});
  EXPECT_EQ(unpack_bundle(archive, dst.path().string()), 6u);  // data, data/a.csv, data/deep, b.txt, link, run.sh
  EXPECT_EQ(slurp(dst.path() / "data/a.csv"), "1,2\n");
  EXPECT_EQ(slurp(dst.path() / "data/link"), "b");
  EXPECT_EQ(fs::status(dst.path() / "run.sh").permissions() & fs::perms::mask, fs::perms(0755));
  EXPECT_EQ(fs::status(dst.path() / "data/a.csv").permissions() & fs::perms::mask, fs::perms(0644));
}

TEST(Bundle, ListsTheDigestOfEachFileItHolds) {
  test::TempDir src("og-bundle-src");
  write(src.path() / "data/a.csv", "1,2\n");
  write(src.path() / "data/deep/b.txt", "b");
  fs::create_symlink("deep/b.txt", src.path() / "data/link");
  auto digests = bundle_file_digests(pack_bundle({{"data", (src.path() / "data").string()}}));
  EXPECT_EQ(digests, (std::map<std::string, std::string>{{"data/a.csv", sha256_hex("1,2\n")},
                                                         {"data/deep/b.txt", sha256_hex("b")}}))
      << "files only: not directories, not links";
  EXPECT_THROW(bundle_file_digests(archive_of({raw_entry("../x", '0', "evil")})), BundleError) << "read with unpack's rules";
}

TEST(Bundle, TheSameFilesGiveTheSameDigest) {
  test::TempDir a("og-bundle-a"), b("og-bundle-b");
  write(a.path() / "x/1.txt", "one");
  write(a.path() / "x/2.txt", "two");
  write(b.path() / "x/2.txt", "two");  // created in the other order, later
  write(b.path() / "x/1.txt", "one");
  EXPECT_EQ(sha256_hex(pack_bundle({{"x", (a.path() / "x").string()}})),
            sha256_hex(pack_bundle({{"x", (b.path() / "x").string()}})));
}

TEST(Bundle, PackingRefusesLinksThatLeaveTheBundleAndMissingFiles) {
  test::TempDir src("og-bundle-src");
  fs::create_symlink("/etc/passwd", src.path() / "abs");
  fs::create_symlink("../outside", src.path() / "up");
  EXPECT_THROW(pack_bundle({{"abs", (src.path() / "abs").string()}}), BundleError);
  EXPECT_THROW(pack_bundle({{"up", (src.path() / "up").string()}}), BundleError);
  EXPECT_THROW(pack_bundle({{"gone", (src.path() / "gone").string()}}), BundleError);
  EXPECT_THROW(pack_bundle({{"../x", (src.path()).string()}}), BundleError);
}

TEST(Bundle, UnpackingRefusesEscapesSpecialFilesAndExcess) {
  EXPECT_NE(refusal(archive_of({raw_entry("/etc/cron.d/x", '0', "boom")})).find("absolute"), std::string::npos);
  EXPECT_NE(refusal(archive_of({raw_entry("a/../../x", '0', "boom")})).find("\"..\""), std::string::npos);
  EXPECT_NE(refusal(archive_of({raw_entry("l", '2', "", "/etc")})).find("relative"), std::string::npos);
  EXPECT_NE(refusal(archive_of({raw_entry("l", '2', "", "a/../..")})).find("\"..\""), std::string::npos);
  EXPECT_NE(refusal(archive_of({raw_entry("h", '1', "", "x")})).find("hard links"), std::string::npos);
  EXPECT_NE(refusal(archive_of({raw_entry("null", '3')})).find("device files"), std::string::npos);
  EXPECT_NE(refusal(archive_of({raw_entry("fifo", '6')})).find("FIFOs"), std::string::npos);
  // A file written through a link placed first is refused, not followed.
  EXPECT_NE(refusal(archive_of({raw_entry("l", '2', "", "t"), raw_entry("l", '0', "x")})).find("twice"),
            std::string::npos);
  BundleLimits small{10, 2};
  EXPECT_NE(refusal(archive_of({raw_entry("big", '0', std::string(11, 'x'))}), small).find("more than"),
            std::string::npos);
  EXPECT_NE(refusal(archive_of({raw_entry("1", '0'), raw_entry("2", '0'), raw_entry("3", '0')}), small).find("entries"),
            std::string::npos);
  std::string good = archive_of({raw_entry("ok", '0', "x")}), corrupt = good;
  corrupt[0] = 'X';
  EXPECT_NE(refusal(corrupt).find("checksum"), std::string::npos);
  EXPECT_NE(refusal(good.substr(0, 1024)).find("truncated"), std::string::npos);
}

TEST(Bundle, SetuidBitsDoNotSurvive) {
  test::TempDir dst("og-bundle-dst");
  unpack_bundle(archive_of({raw_entry("suid", '0', "x", "", "0004755")}), dst.path().string());
  EXPECT_EQ(fs::status(dst.path() / "suid").permissions() & fs::perms::mask, fs::perms(0755));
}

JobSpec signed_spec(const KeyPair& key) {
  JobSpec s;
  s.script = "#!/bin/sh\necho hi\n";
  s.script_args = {"a"};
  s.environment = {{"X", "1"}};
  s.bundle_sha256 = std::string(64, 'a');
  sign_job("alice", s, key);
  return s;
}

TEST(JobSignature, CoversCodeInputsAndUserButNotDefaultsFilledInLater) {
  KeyPair key = generate_ed25519();
  JobSpec s = signed_spec(key);
  EXPECT_EQ(job_signature_problem("alice", s), "");
  EXPECT_NE(job_signature_problem("bob", s), "") << "signed for another user";
  JobSpec later = s;
  later.time_limit_s = 600;  // og-schedd's default, filled in after signing
  later.max_price_micros = 100000;
  EXPECT_EQ(job_signature_problem("alice", later), "");
  for (auto change : std::vector<std::function<void(JobSpec&)>>{
           [](JobSpec& t) { t.script += "rm -rf ~\n"; },
           [](JobSpec& t) { t.script_args.push_back("b"); },
           [](JobSpec& t) { t.environment["LD_PRELOAD"] = "/x.so"; },
           [](JobSpec& t) { t.bundle_sha256 = std::string(64, 'b'); },
           [](JobSpec& t) { t.network = "egress"; },
           [](JobSpec& t) { t.signer = generate_ed25519().public_hex; },
           [](JobSpec& t) { t.ntasks = 64; },  // mpirun -np $SLURM_NTASKS
           [](JobSpec& t) { t.array = "0-999"; },
       }) {
    JobSpec tampered = s;
    change(tampered);
    EXPECT_NE(job_signature_problem("alice", tampered), "");
  }
  JobSpec unsigned_spec;
  unsigned_spec.script = "x";
  EXPECT_EQ(job_signature_problem("alice", unsigned_spec), "the job is not signed");
}

}  // namespace
}  // namespace og
