// og-fetch: bring a finished job's accepted result (the files a quorum agreed on) into a
// directory, each file checked against the result's SHA-256 as it arrives; on a terminal,
// files of 1 MiB or more show a progress bar.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/job_output.hpp"
#include "core/sha256_openssl.hpp"
#include "core/error.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-fetch [OPTIONS] JOBID [JOBID...]

  -D, --dir=DIR           where to write the files (default: the current directory)
      --force             replace local files that differ from the job's version
      --unverified        for a job without an accepted result (failed, timed out, no
                          quorum): each replica's own outputs, which no quorum checked, in
                          DIR/job<ID>.unverified/lease-<N>/

Files the job was given (--input, --bundle) and left as they were are not fetched over
the ones here (an edit made meanwhile stays); into an empty directory the whole result
comes. A local file is replaced only by the job's change
to the very version it was given; any other local file that differs is kept, and the
job's version is written beside it (data/in.txt -> data/in.job42.txt), saying so.
      --url, --token-file where og-schedd is and the credential
)";

}  // namespace

int main(int argc, char** argv) {
  og::use_openssl_sha256();  // it hashes gigabytes: SHA-NI's speed is worth OpenSSL's start
  return og::cli::run_command("og-fetch", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    std::string dir = std::filesystem::current_path().string();
    std::vector<std::string> refs;
    bool force = false, unverified = false;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--help") {
        std::cout << kHelp;
        return 0;
      }
      if (conn.take(args, i)) continue;
      if (og::cli::take_value(args, i, "--dir", "-D", dir)) continue;
      if (args[i] == "--force" || args[i] == "--unverified") {
        (args[i] == "--force" ? force : unverified) = true;
        continue;
      }
      if (!args[i].empty() && args[i][0] == '-') throw og::UsageError("unrecognized option " + args[i] + " (see og-fetch --help)");
      for (const auto& ref : og::cli::job_refs(args[i])) refs.push_back(ref);
    }
    if (refs.empty()) throw og::UsageError("name the job whose result to fetch (see og-fetch --help)");
    auto client = conn.connect();
    for (uint64_t id : og::cli::job_ids_named(client, og::cli::join(refs, ","))) {
      if (unverified) {
        auto replicas = og::cli::fetch_unverified(client, id, dir, {isatty(STDERR_FILENO) == 1, false, "og-fetch"});
        if (replicas.empty()) std::cout << "job " << id << ": no replica reported outputs\n";
        for (const auto& r : replicas)
          std::cout << "job " << id << " lease " << r.lease_id << " (" << r.partition << ", " << r.outcome << ", exit "
                    << r.exit_code << "): " << r.files << (r.files == 1 ? " file" : " files")
                    << ", NOT verified by any quorum, in " << r.dir << "\n";
        continue;
      }
      auto got = og::cli::fetch_result(client, id, dir, {isatty(STDERR_FILENO) == 1, force, "og-fetch"});
      auto files = [](size_t n) { return std::to_string(n) + (n == 1 ? " file" : " files"); };
      std::cout << "job " << id << ": " << files(got.written + got.beside) << " of the accepted result written in "
                << dir << (got.beside ? " (" + std::to_string(got.beside) + " beside yours)" : "")
                << (got.already_here ? ", " + files(got.already_here) + " already there" : "")
                << (got.unchanged_inputs ? ", " + files(got.unchanged_inputs) + " it was given left out" : "") << "\n";
    }
    return 0;
  });
}
