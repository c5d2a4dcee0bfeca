#include "jobscripts/directives.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>

#include "core/error.hpp"
#include "core/gpu_device.hpp"
#include "core/oci_reference.hpp"
#include "core/verify_mode.hpp"
#include "jobscripts/directive_scanner.hpp"
#include "jobscripts/job_size.hpp"
#include "jobscripts/option_table.hpp"
#include "jobscripts/option_values.hpp"
#include "jobscripts/constraint.hpp"
#include "jobscripts/text.hpp"

namespace og::jobscripts {

namespace {

// Mirrors the limit job_spec_from_json enforces, so the user hears it before upload.
constexpr size_t kMaxScriptBytes = 1 << 20;
constexpr uint32_t kMaxReplicas = 16;

std::string dashed(const OptionInfo& info) { return "--" + std::string(info.long_name); }

std::string require_value(const std::string& value, std::string_view what) {
  if (value.empty()) throw UsageError("expected " + std::string(what) + ", got an empty value");
  return value;
}

bool is_stdin(const std::string& script_path) { return script_path.empty() || script_path == "-"; }

// Resolves "--name" to one table entry; throws with `where` when unknown or ambiguous.
const OptionInfo& lookup_long(std::string_view name, const std::string& where) {
  auto matches = find_long_option(name);
  if (matches.empty()) {
    throw UsageError(where + ": unknown option " + in_quotes("--" + std::string(name)) +
                     " (see og-sbatch --help)");
  }
  if (matches.size() > 1) {
    std::string candidates;
    for (const OptionInfo* m : matches) candidates += (candidates.empty() ? "" : ", ") + dashed(*m);
    throw UsageError(where + ": option " + in_quotes("--" + std::string(name)) + " is ambiguous (" +
                     candidates + ")");
  }
  return *matches.front();
}

// Applies options in order onto one ParsedJob; later options override earlier ones.
class OptionApplier {
 public:
  OptionApplier(ParsedJob job, int64_t now_unix) : job_(std::move(job)), now_unix_(now_unix) {}

  void apply_tokens(const std::vector<std::string>& tokens, const std::string& where) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string& token = tokens[i];
      auto next_value = [&](const OptionInfo& info) {
        if (i + 1 >= tokens.size()) throw UsageError(where + ": " + dashed(info) + " requires a value");
        return tokens[++i];
      };
      if (token.size() > 2 && token.starts_with("--")) {
        auto eq = token.find('=');
        const OptionInfo& info =
            lookup_long(std::string_view(token).substr(2, eq == std::string::npos ? eq : eq - 2), where);
        std::optional<std::string> value;
        if (eq != std::string::npos) {
          if (info.arg == ArgKind::kNone) throw UsageError(where + ": " + dashed(info) + " takes no value");
          value = token.substr(eq + 1);
        } else if (info.arg == ArgKind::kRequired) {
          value = next_value(info);
        }
        apply(info, value, where);
      } else if (token.size() > 1 && token[0] == '-' && token != "--") {
        // Short options cluster as with getopt: "-Hk", "-Jname", "-J name".
        for (size_t j = 1; j < token.size(); ++j) {
          const OptionInfo* info = find_short_option(token[j]);
          if (!info) {
            throw UsageError(where + ": unknown option " + in_quotes(std::string("-") + token[j]) +
                             " (see og-sbatch --help)");
          }
          if (info->arg == ArgKind::kNone) {
            apply(*info, std::nullopt, where);
            continue;
          }
          std::optional<std::string> value;
          if (j + 1 < token.size()) {
            value = token.substr(j + 1);
          } else if (info->arg == ArgKind::kRequired) {
            value = next_value(*info);
          }
          apply(*info, value, where);
          break;
        }
      } else {
        throw UsageError(where + ": unexpected argument " + in_quotes(token) +
                         " (options start with - or --)");
      }
    }
  }

  // Checks constraints between options once every option has been applied.
  ParsedJob finish() {
    try {
      apply_size(size_, job_.spec);
    } catch (const UsageError& e) {  // sizes contradict each other: where the last one was given
      throw UsageError(size_where_ + ": " + e.what());
    }
    const JobSpec& spec = job_.spec;
    if (spec.quorum > spec.replicas) {
      throw UsageError(quorum_where_ + ": --quorum: a quorum of " + std::to_string(spec.quorum) +
                       " needs at least as many replicas, but --replicas is " +
                       std::to_string(spec.replicas));
    }
    return std::move(job_);
  }

 private:
  // One GPU form: per job, per node (also --gres) or per task; its type is the job's.
  void set_gpus(uint32_t& form, const GpuRequest& gpus) {
    form = gpus.count;
    if (gpus.count) job_.spec.gpu_type = gpus.type;
  }

  void apply(const OptionInfo& info, const std::optional<std::string>& value, const std::string& where) {
    if (info.id == OptionId::kUnsupported) {
      if (warned_.insert(info.long_name).second) {
        job_.warnings.push_back(where + ": " + dashed(info) +
                                " is not supported by OpenGrid yet and is ignored");
      }
      return;
    }
    try {
      set(info.id, value, where);
    } catch (const UsageError& e) {
      throw UsageError(where + ": " + dashed(info) + ": " + e.what());
    }
  }

  void set(OptionId id, const std::optional<std::string>& value, const std::string& where) {
    JobSpec& spec = job_.spec;
    const std::string text = value.value_or("");
    if (id == OptionId::kNodes || id == OptionId::kNtasks || id == OptionId::kNtasksPerNode ||
        id == OptionId::kNtasksPerGpu || id == OptionId::kGres || id == OptionId::kGpus ||
        id == OptionId::kGpusPerNode || id == OptionId::kGpusPerTask)
      size_where_ = where;
    switch (id) {
      case OptionId::kJobName:
        spec.name = require_value(text, "a job name");
        break;
      case OptionId::kPartition:
        spec.partition = require_value(text, "a partition name");
        break;
      case OptionId::kNodes: {
        auto [min, max] = parse_node_range(text);
        size_.nodes = min;
        size_.nodes_max = max;
        break;
      }
      case OptionId::kNtasks:
        size_.ntasks = parse_positive_count(text);
        break;
      case OptionId::kNtasksPerNode:
        size_.ntasks_per_node = parse_positive_count(text);
        break;
      case OptionId::kNtasksPerGpu:
        size_.ntasks_per_gpu = parse_positive_count(text);
        break;
      case OptionId::kCpusPerTask:
        spec.cpus_per_task = parse_positive_count(text);
        break;
      case OptionId::kMem:  // --mem, --mem-per-cpu and --mem-per-gpu exclude each other: the last one wins
      case OptionId::kMemPerCpu:
      case OptionId::kMemPerGpu: {
        uint64_t mb = parse_memory_mb(text);
        spec.mem_mb = id == OptionId::kMem ? mb : 0;
        spec.mem_per_cpu_mb = id == OptionId::kMemPerCpu ? mb : 0;
        spec.mem_per_gpu_mb = id == OptionId::kMemPerGpu ? mb : 0;
        break;
      }
      case OptionId::kGres: {  // per node, as --gpus-per-node
        GpuRequest gpus = parse_gres(text);
        set_gpus(size_.gpus_per_node, gpus);
        for (const std::string& entry : gpus.ignored) {
          job_.warnings.push_back(where + ": --gres: " + in_quotes(entry) +
                                  " is not supported by OpenGrid yet and is ignored (only gpu is)");
        }
        break;
      }
      case OptionId::kGpus:
        set_gpus(size_.gpus_per_job, parse_gpus(text));
        break;
      case OptionId::kGpusPerNode:
        set_gpus(size_.gpus_per_node, parse_gpus(text));
        break;
      case OptionId::kGpusPerTask:
        set_gpus(size_.gpus_per_task, parse_gpus(text));
        break;
      case OptionId::kTime:
        spec.time_limit_s = parse_time_limit(text);
        break;
      case OptionId::kOutput:
        spec.output = require_value(text, "a file name pattern");
        break;
      case OptionId::kError:
        spec.error = require_value(text, "a file name pattern");
        break;
      case OptionId::kArray:
        parse_array_spec(text);
        spec.array = text;
        break;
      case OptionId::kDependency:
        validate_dependency(text);
        spec.dependency = text;
        break;
      case OptionId::kExport: {
        ExportRequest request = parse_export(text);
        spec.export_mode = request.mode;
        spec.environment = std::move(request.environment);
        break;
      }
      case OptionId::kChdir:
        spec.chdir = require_value(text, "a directory");
        break;
      case OptionId::kBegin:
        spec.begin_time = parse_begin_time(text, now_unix_);
        break;
      case OptionId::kAccount:
        spec.account = require_value(text, "an account name");
        break;
      case OptionId::kQos:
        spec.qos = require_value(text, "a QOS name");
        break;
      case OptionId::kNice:
        spec.nice = parse_nice(text);
        break;
      case OptionId::kComment:
        spec.comment = text;
        break;
      case OptionId::kHold:
        spec.hold = true;
        break;
      case OptionId::kExcludeStdio:
        spec.exclude_stdio = true;
        break;
      case OptionId::kWait:
        job_.flags.wait = true;
        break;
      case OptionId::kTestOnly:
        job_.flags.test_only = true;
        break;
      case OptionId::kParsable:
        job_.flags.parsable = true;
        break;
      case OptionId::kRequeue:
        spec.requeue = true;
        break;
      case OptionId::kNoRequeue:
        spec.requeue = false;
        break;
      case OptionId::kExclusive:
        // --exclusive, =user and =mcs all mean: no other job beside this one here.
        if (!text.empty() && text != "user" && text != "mcs")
          throw UsageError("invalid value " + in_quotes(text) + " (use --exclusive, --exclusive=user or --exclusive=mcs)");
        spec.exclusive = true;
        break;
      case OptionId::kConstraint:
        spec.constraint = parse_constraint(text);
        break;
      case OptionId::kReplicas:
        spec.replicas = parse_positive_count(text);
        if (spec.replicas > kMaxReplicas) {
          throw UsageError("at most " + std::to_string(kMaxReplicas) + " replicas are allowed, got " + text);
        }
        break;
      case OptionId::kQuorum:
        spec.quorum = parse_positive_count(text);
        quorum_where_ = where;
        break;
      case OptionId::kMaxPrice:
        spec.max_price_micros = parse_price_micros(text);
        break;
      case OptionId::kMaxGpuPrice:
        spec.max_gpu_price_micros = parse_price_micros(text);
        break;
      case OptionId::kGpuMem:  // memory on each GPU, as --mem's sizes (MB unless K, M, G or T)
        spec.gpu_mem_mb = parse_memory_mb(text);
        break;
      case OptionId::kCuda:
        if (!is_version(text))
          throw UsageError("expected the lowest CUDA version the job's driver must support, as MAJOR.MINOR (e.g. 12.4), got " +
                           in_quotes(text));
        spec.cuda = text;
        break;
      case OptionId::kNetwork:
        if (text != "none" && text != "loopback" && text != "egress")
          throw UsageError("expected none, loopback or egress, got " + in_quotes(text));
        spec.network = text;
        break;
      case OptionId::kIsolation:
        if (text != "none" && text != "rlimit" && text != "jail")
          throw UsageError("expected jail, rlimit or none, got " + in_quotes(text));
        spec.isolation = text;
        break;
      case OptionId::kInput:
        job_.flags.inputs.push_back(require_value(text, "a file or directory"));
        break;
      case OptionId::kBundle:
        job_.flags.bundle_dir = require_value(text, "a directory");
        break;
      case OptionId::kSecret: {
        auto eq = text.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
          throw UsageError("expected NAME=FILE, got " + in_quotes(text));
        job_.flags.secrets.emplace_back(text.substr(0, eq), text.substr(eq + 1));
        break;
      }
      case OptionId::kImage:
        parse_oci_reference(require_value(text, "an image reference"));  // said now, with file and line
        spec.image = text;
        break;
      case OptionId::kData: {
        auto eq = text.find('=');
        std::string name = eq == std::string::npos ? "" : text.substr(0, eq);
        if (!is_secret_name(name))
          throw UsageError("expected NAME=REFERENCE (NAME: letters, digits, _ - ., mounted at /data/NAME), got " +
                           in_quotes(text));
        // job:ID, an earlier job's accepted result, or a registry's data set.
        std::string ref = text.substr(eq + 1);
        if (ref.rfind("job:", 0) == 0 && !result_job_of(ref))
          throw UsageError("expected job:ID, the id of an earlier job of yours (an array task by its own id), got " +
                           in_quotes(ref));
        if (!result_job_of(ref)) parse_oci_reference(ref);
        spec.data[name] = text.substr(eq + 1);
        break;
      }
      case OptionId::kVerify:
        if (!parse_verify_mode(text))
          throw UsageError(std::string("expected ") + kVerifyModes + ", got " + in_quotes(text));
        spec.verify = text;
        break;
      case OptionId::kUrl:
        job_.flags.url = require_value(text, "a URL");
        break;
      case OptionId::kTokenFile:
        job_.flags.token_file = require_value(text, "a file name");
        break;
      case OptionId::kUnsupported:
        break;  // handled by apply()
      case OptionId::kWrap:
        // The script itself, made before the options are read (wrapped_script).
        if (where != "command line") throw UsageError("it belongs on og-sbatch's command line, in place of a script");
        break;
    }
  }

  ParsedJob job_;
  int64_t now_unix_;
  std::set<std::string_view> warned_;  // one warning per unsupported option
  std::string quorum_where_;
  SizeRequest size_;  // sized as sbatch sizes it once every option is in (finish)
  std::string size_where_;  // where the last size option came from
};

}  // namespace

std::optional<std::string> wrapped_script(const std::vector<std::string>& options) {
  std::optional<std::string> command;
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i].starts_with("--wrap=")) command = options[i].substr(7);
    else if (options[i] == "--wrap" && i + 1 < options.size()) command = options[++i];
  }
  if (!command) return std::nullopt;
  // As sbatch writes it, so that the job's script reads the same.
  return "#!/bin/sh\n# This script was created by sbatch --wrap.\n\n" + *command + "\n";
}

CommandLine split_sbatch_command_line(const std::vector<std::string>& argv) {
  CommandLine cl;
  size_t i = 0;
  auto takes_next = [&](const OptionInfo* info) {
    return info && info->arg == ArgKind::kRequired && i + 1 < argv.size();
  };
  for (; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() > 2 && arg.starts_with("--")) {
      cl.options.push_back(arg);
      auto eq = arg.find('=');
      auto matches = find_long_option(std::string_view(arg).substr(2, eq == std::string::npos ? eq : eq - 2));
      // Unknown or ambiguous options are left for parse_job to report.
      if (eq == std::string::npos && matches.size() == 1 && takes_next(matches.front()))
        cl.options.push_back(argv[++i]);
    } else if (arg.size() > 1 && arg[0] == '-') {
      cl.options.push_back(arg);
      for (size_t j = 1; j < arg.size(); ++j) {
        const OptionInfo* info = find_short_option(arg[j]);
        if (!info || info->arg == ArgKind::kNone) continue;
        if (j + 1 == arg.size() && takes_next(info)) cl.options.push_back(argv[++i]);
        break;
      }
    } else {
      break;  // the first non-option is the script ("-" = stdin)
    }
  }
  if (i < argv.size()) {
    cl.script_path = argv[i];
    cl.script_args.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
  }
  return cl;
}

ParsedJob parse_job(const std::string& script_text, const std::string& script_path,
                    const std::vector<std::string>& cli_options, const std::vector<std::string>& defaults) {
  const std::string label = is_stdin(script_path) ? "stdin" : script_path;
  if (script_text.size() > kMaxScriptBytes) throw UsageError(label + ": batch script is larger than 1 MiB");
  std::vector<DirectiveLine> lines = scan_directives(script_text, label);

  ParsedJob job;
  std::string base =
      is_stdin(script_path) ? "sbatch" : std::filesystem::path(script_path).filename().string();
  job.spec.name = base.empty() ? script_path : base;
  job.spec.script_name = job.spec.name;
  job.spec.script = script_text;

  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  OptionApplier applier(std::move(job), now);
  applier.apply_tokens(defaults, "defaults (OG_SBATCH_* or client.conf)");
  for (const DirectiveLine& line : lines)
    applier.apply_tokens(line.tokens, label + ":" + std::to_string(line.line_number));
  applier.apply_tokens(cli_options, "command line");
  return applier.finish();
}

}  // namespace og::jobscripts
