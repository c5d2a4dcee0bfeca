// og-fetch: bring a finished job's accepted result (the files a quorum agreed on) into a
// directory, each file checked against the result's SHA-256 as it arrives; on a terminal,
// files of 1 MiB or more show a progress bar.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/job_output.hpp"
#include "core/error.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-fetch [OPTIONS] JOBID [JOBID...]

  -D, --dir=DIR           where to write the files (default: the current directory)
      --url, --token-file where og-schedd is and the credential
)";

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-fetch", [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::Connection conn;
    std::string dir = std::filesystem::current_path().string();
    std::vector<std::string> refs;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--help") {
        std::cout << kHelp;
        return 0;
      }
      if (conn.take(args, i)) continue;
      if (og::cli::take_value(args, i, "--dir", "-D", dir)) continue;
      if (!args[i].empty() && args[i][0] == '-') throw og::UsageError("unrecognized option " + args[i] + " (see og-fetch --help)");
      for (const auto& ref : og::cli::job_refs(args[i])) refs.push_back(ref);
    }
    if (refs.empty()) throw og::UsageError("name the job whose result to fetch (see og-fetch --help)");
    auto client = conn.connect();
    for (uint64_t id : og::cli::job_ids_named(client, og::cli::join(refs, ","))) {
      size_t n = og::cli::fetch_result(client, id, dir, isatty(STDERR_FILENO) == 1);
      std::cout << "job " << id << ": " << n << " file" << (n == 1 ? "" : "s") << " of the accepted result in " << dir
                << "\n";
    }
    return 0;
  });
}
