// og-sbatch's front end: reads #SBATCH/#OG directives from a job script, applies
// command-line options on top, and produces the JobSpec to submit.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/job_spec.hpp"
#include "jobscripts/array_spec.hpp"
#include "jobscripts/begin_time.hpp"
#include "jobscripts/dependency.hpp"
#include "jobscripts/filename_pattern.hpp"
#include "jobscripts/memory_spec.hpp"
#include "jobscripts/time_spec.hpp"

namespace og::jobscripts {

// Options that steer og-sbatch itself rather than the job.
struct SubmitFlags {
  bool wait = false;       // -W/--wait: block until the job ends
  bool test_only = false;  // --test-only: validate, do not submit
  bool parsable = false;   // --parsable: print only the job id
  std::string url;         // --url: scheduler address
  std::string token_file;  // --token-file
  // What goes into the signed bundle: --input files (relative to the submit directory,
  // kept at that relative path) and the contents of a --bundle directory.
  std::vector<std::string> inputs;
  std::string bundle_dir;
  std::vector<std::pair<std::string, std::string>> secrets;  // --secret NAME=FILE
};

struct ParsedJob {
  og::JobSpec spec;
  SubmitFlags flags;
  std::vector<std::string> warnings;  // "file:line: --opt is not supported ..." etc.
};

struct CommandLine {
  std::vector<std::string> options;      // everything before the script path
  std::string script_path;               // empty when none was given ("-" = stdin)
  std::vector<std::string> script_args;  // everything after it
};

// sbatch --wrap=COMMAND: the script it makes of COMMAND, or nullopt without --wrap (the
// last one given wins).
std::optional<std::string> wrapped_script(const std::vector<std::string>& options);

// Splits og-sbatch's argv (without argv[0]) into the options before the script, the
// script path, and the script's own args. "--" ends the options.
CommandLine split_sbatch_command_line(const std::vector<std::string>& argv);

// Parses the directives of script_text (#SBATCH and #OG), then applies cli_options on
// top (they override). script_path labels error messages and gives the default job
// name and spec.script_name (its base name; "sbatch" for "-" or ""). Leaves
// spec.script_args and spec.submit_dir to the caller. Throws og::UsageError naming the
// file and line (or "command line") and the option.
// `defaults` (og-sbatch's configured defaults, as option tokens) apply first, beneath the
// script's directives.
ParsedJob parse_job(const std::string& script_text, const std::string& script_path,
                    const std::vector<std::string>& cli_options, const std::vector<std::string>& defaults = {});

}  // namespace og::jobscripts
