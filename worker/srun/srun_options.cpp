#include "worker/srun/srun_options.hpp"

#include <getopt.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

namespace og::srun {
namespace {

enum class Does { kNtasks, kNodes, kCpus, kTasksPerNode, kLabel, kExport, kMpi, kChdir, kQuiet, kHelp, kUsage,
                  kVersion, kIgnore, kRefuse };

struct SrunOption {
  const char* name;
  int arg;  // no_argument, required_argument, optional_argument
  char short_name;
  Does does;
};

// srun's options (Slurm 22.05's man page). Those OpenGrid ignores change how a step is
// placed or accounted, not what it computes; those it refuses would send output or input
// elsewhere or run something else than the command, so ignoring them would mislead.
constexpr SrunOption kOptions[] = {
    {"ntasks", required_argument, 'n', Does::kNtasks},
    {"nodes", required_argument, 'N', Does::kNodes},
    {"cpus-per-task", required_argument, 'c', Does::kCpus},
    {"ntasks-per-node", required_argument, 0, Does::kTasksPerNode},
    {"label", no_argument, 'l', Does::kLabel},
    {"export", required_argument, 0, Does::kExport},
    {"mpi", required_argument, 0, Does::kMpi},
    {"chdir", required_argument, 'D', Does::kChdir},
    {"quiet", no_argument, 'Q', Does::kQuiet},
    {"help", no_argument, 'h', Does::kHelp},
    {"usage", no_argument, 0, Does::kUsage},
    {"version", no_argument, 'V', Does::kVersion},
    {"output", required_argument, 'o', Does::kRefuse},
    {"error", required_argument, 'e', Does::kRefuse},
    {"input", required_argument, 'i', Does::kRefuse},
    {"multi-prog", no_argument, 0, Does::kRefuse},
    {"pty", no_argument, 0, Does::kRefuse},
    {"het-group", required_argument, 0, Does::kRefuse},
    {"jobid", required_argument, 0, Does::kRefuse},
    {"accel-bind", required_argument, 0, Does::kIgnore},
    {"account", required_argument, 'A', Does::kIgnore},
    {"acctg-freq", required_argument, 0, Does::kIgnore},
    {"bb", required_argument, 0, Does::kIgnore},
    {"bbf", required_argument, 0, Does::kIgnore},
    {"bcast", optional_argument, 0, Does::kIgnore},
    {"begin", required_argument, 'b', Does::kIgnore},
    {"clusters", required_argument, 'M', Does::kIgnore},
    {"comment", required_argument, 0, Does::kIgnore},
    {"compress", optional_argument, 0, Does::kIgnore},
    {"constraint", required_argument, 'C', Does::kIgnore},
    {"contiguous", no_argument, 0, Does::kIgnore},
    {"core-spec", required_argument, 'S', Does::kIgnore},
    {"cores-per-socket", required_argument, 0, Does::kIgnore},
    {"cpu-bind", required_argument, 0, Does::kIgnore},
    {"cpu-freq", required_argument, 0, Does::kIgnore},
    {"cpus-per-gpu", required_argument, 0, Does::kIgnore},
    {"deadline", required_argument, 0, Does::kIgnore},
    {"dependency", required_argument, 'd', Does::kIgnore},
    {"distribution", required_argument, 'm', Does::kIgnore},
    {"epilog", required_argument, 0, Does::kIgnore},
    {"exact", no_argument, 0, Does::kIgnore},
    {"exclude", required_argument, 'x', Does::kIgnore},
    {"exclusive", optional_argument, 0, Does::kIgnore},
    {"extra-node-info", required_argument, 'B', Does::kIgnore},
    {"gpu-bind", required_argument, 0, Does::kIgnore},
    {"gpu-freq", required_argument, 0, Does::kIgnore},
    {"gpus", required_argument, 'G', Does::kIgnore},
    {"gpus-per-node", required_argument, 0, Does::kIgnore},
    {"gpus-per-socket", required_argument, 0, Does::kIgnore},
    {"gpus-per-task", required_argument, 0, Does::kIgnore},
    {"gres", required_argument, 0, Does::kIgnore},
    {"gres-flags", required_argument, 0, Does::kIgnore},
    {"hint", required_argument, 0, Does::kIgnore},
    {"hold", no_argument, 'H', Does::kIgnore},
    {"immediate", optional_argument, 'I', Does::kIgnore},
    {"job-name", required_argument, 'J', Does::kIgnore},
    {"kill-on-bad-exit", optional_argument, 'K', Does::kIgnore},
    {"licenses", required_argument, 'L', Does::kIgnore},
    {"mail-type", required_argument, 0, Does::kIgnore},
    {"mail-user", required_argument, 0, Does::kIgnore},
    {"mcs-label", required_argument, 0, Does::kIgnore},
    {"mem", required_argument, 0, Does::kIgnore},
    {"mem-bind", required_argument, 0, Does::kIgnore},
    {"mem-per-cpu", required_argument, 0, Does::kIgnore},
    {"mem-per-gpu", required_argument, 0, Does::kIgnore},
    {"mincpus", required_argument, 0, Does::kIgnore},
    {"msg-timeout", required_argument, 0, Does::kIgnore},
    {"network", required_argument, 0, Does::kIgnore},
    {"nice", optional_argument, 0, Does::kIgnore},
    {"no-allocate", no_argument, 'Z', Does::kIgnore},
    {"no-kill", optional_argument, 'k', Does::kIgnore},
    {"nodefile", required_argument, 'F', Does::kIgnore},
    {"nodelist", required_argument, 'w', Does::kIgnore},
    {"ntasks-per-core", required_argument, 0, Does::kIgnore},
    {"ntasks-per-gpu", required_argument, 0, Does::kIgnore},
    {"ntasks-per-socket", required_argument, 0, Does::kIgnore},
    {"open-mode", required_argument, 0, Does::kIgnore},
    {"overcommit", no_argument, 'O', Does::kIgnore},
    {"overlap", no_argument, 0, Does::kIgnore},
    {"oversubscribe", no_argument, 's', Does::kIgnore},
    {"partition", required_argument, 'p', Does::kIgnore},
    {"power", required_argument, 0, Does::kIgnore},
    {"prefer", required_argument, 0, Does::kIgnore},
    {"prio-process", required_argument, 0, Does::kIgnore},
    {"profile", required_argument, 0, Does::kIgnore},
    {"prolog", required_argument, 0, Does::kIgnore},
    {"propagate", optional_argument, 0, Does::kIgnore},
    {"qos", required_argument, 'q', Does::kIgnore},
    {"quit-on-interrupt", no_argument, 0, Does::kIgnore},
    {"reboot", no_argument, 0, Does::kIgnore},
    {"relative", required_argument, 'r', Does::kIgnore},
    {"reservation", required_argument, 0, Does::kIgnore},
    {"resv-ports", optional_argument, 0, Does::kIgnore},
    {"send-libs", optional_argument, 0, Does::kIgnore},
    {"signal", required_argument, 0, Does::kIgnore},
    {"slurmd-debug", required_argument, 0, Does::kIgnore},
    {"sockets-per-node", required_argument, 0, Does::kIgnore},
    {"spread-job", no_argument, 0, Does::kIgnore},
    {"switches", required_argument, 0, Does::kIgnore},
    {"task-epilog", required_argument, 0, Does::kIgnore},
    {"task-prolog", required_argument, 0, Does::kIgnore},
    {"test-only", no_argument, 0, Does::kIgnore},
    {"thread-spec", required_argument, 0, Does::kIgnore},
    {"threads", required_argument, 'T', Does::kIgnore},
    {"threads-per-core", required_argument, 0, Does::kIgnore},
    {"time", required_argument, 't', Does::kIgnore},
    {"time-min", required_argument, 0, Does::kIgnore},
    {"tmp", required_argument, 0, Does::kIgnore},
    {"tres-per-task", required_argument, 0, Does::kIgnore},
    {"unbuffered", no_argument, 'u', Does::kIgnore},
    {"use-min-nodes", no_argument, 0, Does::kIgnore},
    {"verbose", no_argument, 'v', Does::kIgnore},
    {"wait", required_argument, 'W', Does::kIgnore},
    {"wckey", required_argument, 0, Does::kIgnore},
    {"disable-status", no_argument, 'X', Does::kIgnore},
    {"x11", optional_argument, 0, Does::kIgnore},
};
constexpr size_t kCount = sizeof(kOptions) / sizeof(kOptions[0]);
constexpr int kLongBase = 1000;  // getopt's value for kOptions[i] given by its long name

const SrunOption* by_short(int c) {
  for (const SrunOption& o : kOptions)
    if (o.short_name == c) return &o;
  return nullptr;
}

uint32_t positive(const std::string& value, const char* option) {
  size_t used = 0;
  unsigned long n = 0;
  try {
    n = std::stoul(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || value[0] == '-' || n == 0 || n > 1000000)
    throw SrunError("srun: error: Invalid numeric value \"" + value + "\" for --" + option + ".", 1);
  return static_cast<uint32_t>(n);
}

// "-N 2" or "-N 2-4" (a minimum and a maximum): the minimum is what a step gets here.
uint32_t node_count(const std::string& value) {
  return positive(value.substr(0, value.find('-')), "nodes");
}

Mpi mpi_type(const std::string& value) {
  if (value == "none") return Mpi::kNone;
  // Open MPI's mpirun serves PMIx here; pmi2 programs (MPICH's) are not what it runs.
  if (value == "pmix" || value.starts_with("pmix_")) return Mpi::kPmix;
  throw SrunError("srun: error: Invalid MPI type '" + value + "', --mpi=list for acceptable types", 1);
}

std::string getenv_or(const Environment& env, const char* name, const std::string& fallback = "") {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace

StepRequest parse_srun_args(const std::vector<std::string>& args, const Environment& env, Mpi mpi_default) {
  std::string shorts = "+:";  // stop at the command (as srun does); ':' reports a missing value
  std::vector<option> longs;
  for (size_t i = 0; i < kCount; ++i) {
    const SrunOption& o = kOptions[i];
    longs.push_back({o.name, o.arg, nullptr, kLongBase + static_cast<int>(i)});
    if (o.short_name) shorts += std::string(1, o.short_name) + (o.arg == required_argument ? ":" : o.arg == optional_argument ? "::" : "");
  }
  longs.push_back({nullptr, 0, nullptr, 0});

  std::vector<std::string> copies = args;
  copies.insert(copies.begin(), "srun");
  std::vector<char*> argv;
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);

  StepRequest step;
  std::string ntasks, nodes, cpus, per_node, mpi;
  bool label = false, exported = false;
  std::set<std::string> warned;
  optind = 0;  // glibc: start over (this may be called more than once in a process)
  opterr = 0;
  for (;;) {
    int index = -1;
    int c = getopt_long(static_cast<int>(copies.size()), argv.data(), shorts.c_str(), longs.data(), &index);
    if (c == -1) break;
    std::string token = argv[optind - 1] ? argv[optind - 1] : "";
    if (c == '?' || c == ':') {
      std::string what = optopt && optopt < kLongBase ? std::string("-- '") + static_cast<char>(optopt) + "'"
                                                      : "'" + token.substr(0, token.find('=')) + "'";
      std::string message = c == ':' ? "srun: option requires an argument " + what
                                     : (optopt && optopt < kLongBase ? "srun: invalid option " + what
                                                                     : "srun: unrecognized option " + what);
      throw SrunError(message + "\nTry \"srun --help\" for more information", 255);
    }
    const SrunOption* o = c >= kLongBase ? &kOptions[c - kLongBase] : by_short(c);
    if (!o) throw SrunError("srun: invalid option -- '" + std::string(1, static_cast<char>(c)) + "'", 255);
    std::string value = optarg ? optarg : "";
    switch (o->does) {
      case Does::kNtasks: ntasks = value; break;
      case Does::kNodes: nodes = value; break;
      case Does::kCpus: cpus = value; break;
      case Does::kTasksPerNode: per_node = value; break;
      case Does::kLabel: label = true; break;
      case Does::kExport:
        step.export_spec = value;
        exported = true;
        break;
      case Does::kMpi: mpi = value; break;
      case Does::kChdir: step.chdir = value; break;
      case Does::kQuiet: step.quiet = true; break;
      case Does::kHelp: step.info = StepRequest::Info::kHelp; return step;
      case Does::kUsage: step.info = StepRequest::Info::kUsage; return step;
      case Does::kVersion: step.info = StepRequest::Info::kVersion; return step;
      case Does::kRefuse:
        throw SrunError(std::string("srun: error: --") + o->name +
                            " is not supported on OpenGrid partitions: a step's tasks run the command given, "
                            "with their output in the job's",
                        1);
      case Does::kIgnore:
        if (warned.insert(o->name).second)
          step.warnings.push_back(std::string("srun: warning: --") + o->name +
                                  " is not supported by OpenGrid yet and is ignored");
        break;
    }
  }
  for (int i = optind; i < static_cast<int>(copies.size()); ++i) step.command.push_back(copies[i]);

  // What the command line leaves unsaid, the job's variables say (srun's input variables).
  if (mpi.empty()) mpi = getenv_or(env, "SLURM_MPI_TYPE");
  if (mpi == "list") {
    step.info = StepRequest::Info::kMpiList;
    return step;
  }
  step.mpi = mpi.empty() ? mpi_default : mpi_type(mpi);
  if (!exported) step.export_spec = getenv_or(env, "SLURM_EXPORT_ENV", "ALL");
  if (step.chdir.empty()) step.chdir = getenv_or(env, "SLURM_WORKING_DIR");
  step.label = label || !getenv_or(env, "SLURM_LABELIO").empty();
  if (step.command.empty()) throw SrunError("srun: fatal: No command given to execute.", 1);

  step.nodes = node_count(nodes.empty() ? getenv_or(env, "SLURM_NNODES", "1") : nodes);
  if (cpus.empty()) cpus = getenv_or(env, "SRUN_CPUS_PER_TASK", getenv_or(env, "SLURM_CPUS_PER_TASK", "1"));
  step.cpus_per_task = positive(cpus, "cpus-per-task");
  std::string job_tasks = getenv_or(env, "SLURM_NTASKS");
  if (!ntasks.empty()) step.ntasks = positive(ntasks, "ntasks");
  else if (!per_node.empty()) step.ntasks = positive(per_node, "ntasks-per-node") * step.nodes;
  else if (!job_tasks.empty()) step.ntasks = positive(job_tasks, "ntasks");
  else if (!getenv_or(env, "SLURM_NTASKS_PER_NODE").empty())
    step.ntasks = positive(getenv_or(env, "SLURM_NTASKS_PER_NODE"), "ntasks-per-node") * step.nodes;
  else step.ntasks = step.nodes;
  return step;
}

Allocation allocation_from(const Environment& env) {
  Allocation a;
  a.job_id = getenv_or(env, "SLURM_JOB_ID");
  if (a.job_id.empty())
    throw SrunError("srun: error: not inside a job: OpenGrid's srun starts a step of the batch job it runs in "
                    "(submit the script with og-sbatch)",
                    1);
  a.node = getenv_or(env, "SLURMD_NODENAME", "localhost");
  a.nodes = node_count(getenv_or(env, "SLURM_JOB_NUM_NODES", "1"));
  a.cpus = positive(getenv_or(env, "SLURM_CPUS_ON_NODE", "1"), "cpus");
  return a;
}

void check_fits(const StepRequest& step, const Allocation& allocation) {
  if (step.nodes > allocation.nodes)
    throw SrunError("srun: error: Only allocated " + std::to_string(allocation.nodes) + " nodes asked for " +
                        std::to_string(step.nodes),
                    1);
  if (static_cast<uint64_t>(step.ntasks) * step.cpus_per_task > allocation.cpus)
    throw SrunError("srun: error: Unable to create step for job " + allocation.job_id +
                        ": More processors requested than permitted",
                    1);
}

std::string srun_help() {
  return "Usage: srun [OPTIONS...] executable [args...]\n"
         "Starts a job step of the OpenGrid batch job it runs in: its tasks, on this partition.\n\n"
         "  -n, --ntasks=N            tasks to start (default: the job's, SLURM_NTASKS)\n"
         "  -N, --nodes=N             nodes (an OpenGrid partition is one)\n"
         "  -c, --cpus-per-task=N     CPUs of each task (default: the job's)\n"
         "      --ntasks-per-node=N   tasks on each node\n"
         "  -l, --label               prefix each line of output with its task number\n"
         "      --export=ALL|NONE|[ALL,]NAME[=value],...  the environment the tasks get\n"
         "      --mpi=pmix|none|list  pmix (default where Open MPI is installed): an MPI program\n"
         "                            runs as one job of N ranks, started by Open MPI's mpirun\n"
         "  -D, --chdir=DIR           where the tasks start\n"
         "  -Q, --quiet               no warnings\n\n"
         "Each task sees SLURM_PROCID, SLURM_LOCALID, SLURM_NODEID, SLURM_STEP_ID and\n"
         "SLURM_STEP_NUM_TASKS. srun exits with the highest exit code of its tasks (128+N for a\n"
         "task killed by signal N). Other srun options are accepted and ignored, with a warning;\n"
         "--output, --error, --input, --multi-prog and --pty are refused.\n";
}

}  // namespace og::srun
