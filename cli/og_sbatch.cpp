// og-sbatch: submit a batch job script, as sbatch does.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "cli/cli_common.hpp"
#include "cli/job_output.hpp"
#include "cli/signed_submission.hpp"
#include "core/client_config.hpp"
#include "core/error.hpp"
#include "core/time_util.hpp"
#include "jobscripts/directives.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-sbatch [OPTIONS] SCRIPT [ARGS...]
       og-sbatch [OPTIONS] < SCRIPT
       og-sbatch [OPTIONS] --wrap=COMMAND

Submits SCRIPT (or one read on stdin, or a /bin/sh script running COMMAND) to OpenGrid. Options come from #SBATCH and #OG lines at the top of the
script; options given here override them. Slurm's sbatch options are understood (-J, -p,
-N, -n, -c, --mem, --gres, -t, -o, -e, -a, --export, -D, --begin, -A, -q, --nice, -H,
--requeue, ...), plus OpenGrid's own:
  --replicas=N        run on N distinct providers (default 1, or OG_SBATCH_REPLICAS /
                      replicas= in ~/.config/opengrid/client.conf)
  --quorum=K          accept a result when K replicas agree (default: a majority, or
                      OG_SBATCH_QUORUM / quorum= in the config file)
  --max-price=AMOUNT  highest price per CPU-hour you accept, e.g. 0.05
  --max-gpu-price=AMOUNT  highest price per GPU-hour you accept
  --verify=MODE       how replicas must agree: exact (default), fuzzy:REL_TOL (CSV,
                      HDF5 numbers), image:psnr=DB and/or maxdiff=K (PNG pixels)
  --gpu-mem=SIZE      each GPU has at least SIZE of memory, as GPUs are sold (80G: H100 80GB)
  --cuda=MAJOR.MINOR  the provider's driver runs at least this CUDA version
  --network=MODE      loopback (default: a loopback of its own), none, or egress (only
                      on providers that allow it)
  --isolation=LEVEL   run only where jobs are contained at least this well: jail,
                      rlimit or none (default: any)
  --input=PATH        ship PATH (file or directory, relative to here) with the job, at
                      the same relative path in its work directory; repeatable
  --bundle=DIR        ship the contents of DIR at the top of the work directory
  --secret=NAME=FILE  deliver FILE's contents to the job only, read-only at
                      /run/secrets/NAME ($OG_SECRETS); the job then runs only where jobs
                      are jailed; never stored with outputs or logged
  --container-image=REF  run in the OCI image REF (REGISTRY/REPO[:TAG] or @sha256:...;
                      also #OG --image=REF): the tag is pinned to its digest now
  --data=NAME=REF     mount the data set REF (og-data push) read-only at /data/NAME
Every job is signed with your Ed25519 key ($OG_KEY_DIR or ~/.config/opengrid/keys,
created and registered with og-schedd on first use); providers check the signature and
the bundle's SHA-256 before they run anything.
and these for og-sbatch itself:
  -W, --wait          wait for the job to end, fetch its outputs here, exit with its code
  --test-only         say where and when the job would start, without submitting
  --parsable          print only the job id
  --url URL           og-schedd address (else OG_SCHEDD_URL or the config file)
  --token-file FILE   credential (else OG_TOKEN, OG_TOKEN_FILE or the config file)
)";

std::string read_script(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw og::UsageError("Unable to open file " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-sbatch", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    for (const auto& a : args)
      if (a == "-h" || a == "--help") {
        std::cout << kHelp;
        return 0;
      }
    auto cmd = og::jobscripts::split_sbatch_command_line(args);
    std::optional<std::string> wrapped = og::jobscripts::wrapped_script(cmd.options);
    if (wrapped && !cmd.script_path.empty())
      throw og::UsageError("a script (" + cmd.script_path + ") and --wrap: give one or the other");
    // No script named: it comes on stdin, as sbatch reads it (og-sbatch < job.sh).
    if (!wrapped && cmd.script_path.empty()) {
      if (isatty(STDIN_FILENO) == 1)
        throw og::UsageError("no job script given (usage: og-sbatch [OPTIONS] SCRIPT [ARGS...], a script on "
                             "stdin, or --wrap=COMMAND)");
      cmd.script_path = "-";
    }
    std::string script_path = wrapped ? "wrap" : cmd.script_path;
    auto parsed = og::jobscripts::parse_job(wrapped ? *wrapped : read_script(cmd.script_path), script_path,
                                            cmd.options, og::job_option_defaults());
    for (const auto& w : parsed.warnings) std::cerr << "og-sbatch: warning: " << w << "\n";
    auto& spec = parsed.spec;
    spec.script_args = cmd.script_args;
    spec.submit_dir = std::filesystem::current_path().string();

    og::cli::Connection conn{parsed.flags.url, parsed.flags.token_file};
    auto client = conn.connect();
    nlohmann::json body = {{"test_only", parsed.flags.test_only}};
    og::cli::prepare_signed_submission(client, spec, parsed.flags, body, !parsed.flags.test_only);
    if (parsed.flags.test_only) {
      auto r = client.call("POST", "/og/v1/jobs", body);
      // As sbatch --test-only: one line, when and where, plus what it may cost at most.
      const nlohmann::json expected = r.value("expected", nlohmann::json::object());
      std::string cost = expected.value("cost", std::string("N/A (no time limit)"));
      auto at = [&](int64_t t) { return og::iso8601_utc(t).substr(0, 19); };
      if (r.value("would_start", false)) {
        std::cerr << "og-sbatch: Job to start at " << at(expected.value("start_time", og::now_unix_s()))
                  << " (now) on " << og::cli::join(r["partitions"].get<std::vector<std::string>>(), ",")
                  << ", expected cost at most " << cost << "\n";
      } else if (!expected.empty()) {
        std::cerr << "og-sbatch: Job would wait (" << r.value("reason", "Resources") << "); to start at "
                  << at(expected.value("start_time", int64_t{0})) << " on "
                  << og::cli::join(expected.value("partitions", std::vector<std::string>{}), ",")
                  << ", expected cost at most " << cost << "\n";
      } else {
        std::cerr << "og-sbatch: Job would wait: " << r.value("reason", "Resources")
                  << (r.contains("why") ? " (" + r.value("why", "") + ")" : " (no start can be planned yet)") << "\n";
      }
      return 0;
    }
    auto r = client.call("POST", "/og/v1/jobs", body);
    uint64_t job_id = r.at("job_id").get<uint64_t>();
    if (parsed.flags.parsable)
      std::cout << job_id << std::endl;
    else
      std::cout << "Submitted batch job " << job_id << std::endl;
    if (!parsed.flags.wait) return 0;
    return og::cli::wait_and_fetch(client, r.at("job_ids").get<std::vector<uint64_t>>(), spec.submit_dir,
                                   {isatty(STDERR_FILENO) == 1, false, "og-sbatch"});
  });
}
