// og-verify: recompute the manifest of a directory and compare it with a job's canonical
// result — every file the quorum agreed on must be there with the same size and SHA-256.
#include <filesystem>
#include <iostream>

#include "cli/cli_common.hpp"
#include "core/sha256_openssl.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/strings.hpp"
#include "verify/manifest.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-verify [OPTIONS] DIR JOBID

Checks that DIR holds the accepted result of job JOBID: each file of its canonical
manifest, with the same size and SHA-256, and that those files give the same Merkle root.
Files in DIR that the result does not list are ignored. Exit status 0: verified; 1: not.

      --url, --token-file where og-schedd is and the credential
)";

namespace fs = std::filesystem;

}  // namespace

int main(int argc, char** argv) {
  og::use_openssl_sha256();  // it hashes gigabytes: SHA-NI's speed is worth OpenSSL's start
  return og::cli::run_command("og-verify", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    std::vector<std::string> words;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--help" || args[i] == "-h") {
        std::cout << kHelp;
        return 0;
      }
      if (conn.take(args, i)) continue;
      words.push_back(args[i]);
    }
    if (words.size() != 2) throw og::UsageError("give a directory and a job id (see og-verify --help)");
    fs::path dir = words[0];
    if (!fs::is_directory(dir)) throw og::UsageError(words[0] + " is not a directory");
    og::cli::job_refs(words[1]);  // a usage error before any connection
    auto client = conn.connect();
    auto ids = og::cli::job_ids_named(client, words[1]);
    if (ids.size() != 1)
      throw og::UsageError(words[1] + " names " + std::to_string(ids.size()) +
                           " jobs (the tasks of an array): verify one at a time, as in " + words[1] + "_0");
    uint64_t id = ids.front();
    og::Manifest canonical = og::manifest_from_json(client.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/result"));
    std::vector<og::ManifestEntry> found;
    size_t bad = 0;
    for (const auto& f : canonical.files) {
      fs::path p = dir / f.path;
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) {
        std::cout << "missing   " << og::printable(f.path) << "\n";
        ++bad;
        continue;
      }
      og::ManifestEntry e{f.path, fs::file_size(p), og::sha256_file_hex(p)};
      if (e.size != f.size || e.sha256 != f.sha256) {
        std::cout << "differs   " << og::printable(f.path) << " (" << e.size << " bytes, sha256 " << e.sha256.substr(0, 16) << ", expected "
                  << f.size << " bytes, " << f.sha256.substr(0, 16) << ")\n";
        ++bad;
      }
      found.push_back(std::move(e));
    }
    std::string root = og::merkle_root(found);
    if (bad == 0 && root == canonical.root) {
      std::cout << "verified: " << canonical.files.size() << " files match job " << id << "'s accepted result (root "
                << root << ")\n";
      return 0;
    }
    std::cout << "NOT verified: " << bad << " of " << canonical.files.size() << " files missing or different; root "
              << root << " instead of " << canonical.root << "\n";
    return 1;
  });
}
