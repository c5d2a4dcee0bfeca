#include "jobscripts/option_table.hpp"

namespace og::jobscripts {

namespace {

using enum ArgKind;
using enum OptionId;

constexpr OptionInfo kOptions[] = {
    {"job-name", 'J', kRequired, kJobName},
    {"partition", 'p', kRequired, kPartition},
    {"nodes", 'N', kRequired, kNodes},
    {"ntasks", 'n', kRequired, kNtasks},
    {"ntasks-per-node", 0, kRequired, kNtasksPerNode},
    {"tasks-per-node", 0, kRequired, kNtasksPerNode},  // sbatch's alias
    {"cpus-per-task", 'c', kRequired, kCpusPerTask},
    {"mem", 0, kRequired, kMem},
    {"mem-per-cpu", 0, kRequired, kMemPerCpu},
    {"gres", 0, kRequired, kGres},
    {"gpus", 'G', kRequired, kGpus},
    {"time", 't', kRequired, kTime},
    {"output", 'o', kRequired, kOutput},
    {"error", 'e', kRequired, kError},
    {"array", 'a', kRequired, kArray},
    {"dependency", 'd', kRequired, kDependency},
    {"export", 0, kRequired, kExport},
    {"chdir", 'D', kRequired, kChdir},
    {"begin", 'b', kRequired, kBegin},
    {"account", 'A', kRequired, kAccount},
    {"qos", 'q', kRequired, kQos},
    {"nice", 0, kOptional, kNice},
    {"comment", 0, kRequired, kComment},
    {"hold", 'H', kNone, kHold},
    {"wait", 'W', kNone, kWait},
    {"test-only", 0, kNone, kTestOnly},
    {"parsable", 0, kNone, kParsable},
    {"wrap", 0, kRequired, kWrap},
    {"requeue", 0, kNone, kRequeue},
    {"no-requeue", 0, kNone, kNoRequeue},
    // OpenGrid's own.
    {"replicas", 0, kRequired, kReplicas},
    {"quorum", 0, kRequired, kQuorum},
    {"max-price", 0, kRequired, kMaxPrice},
    {"max-gpu-price", 0, kRequired, kMaxGpuPrice},
    {"gpu-mem", 0, kRequired, kGpuMem},
    {"cuda", 0, kRequired, kCuda},
    {"network", 0, kRequired, kNetwork},
    {"verify", 0, kRequired, kVerify},
    {"exclude-stdio", 0, kNone, kExcludeStdio},
    {"isolation", 0, kRequired, kIsolation},
    {"input", 0, kRequired, kInput},
    {"bundle", 0, kRequired, kBundle},
    {"secret", 0, kRequired, kSecret},
    {"container-image", 0, kRequired, kImage},  // pyxis's spelling
    {"image", 0, kRequired, kImage},
    {"data", 0, kRequired, kData},
    {"url", 0, kRequired, kUrl},
    {"token-file", 0, kRequired, kTokenFile},
    // Accepted so that scripts written for Slurm still submit; each one warns.
    {"mail-type", 0, kRequired, kUnsupported},
    {"mail-user", 0, kRequired, kUnsupported},
    {"constraint", 'C', kRequired, kConstraint},
    {"exclusive", 0, kOptional, kExclusive},
    {"signal", 0, kRequired, kUnsupported},
    {"licenses", 'L', kRequired, kUnsupported},
    {"mem-bind", 0, kRequired, kUnsupported},
    {"cpu-bind", 0, kRequired, kUnsupported},
    {"distribution", 'm', kRequired, kUnsupported},
    {"hint", 0, kRequired, kUnsupported},
    {"reservation", 0, kRequired, kUnsupported},
    {"wckey", 0, kRequired, kUnsupported},
    {"tmp", 0, kRequired, kUnsupported},
    {"open-mode", 0, kRequired, kUnsupported},
    {"gpus-per-node", 0, kRequired, kGpusPerNode},
    {"gpus-per-task", 0, kRequired, kGpusPerTask},
    {"cpus-per-gpu", 0, kRequired, kUnsupported},
    {"mem-per-gpu", 0, kRequired, kMemPerGpu},
    {"switches", 0, kRequired, kUnsupported},
    {"threads-per-core", 0, kRequired, kUnsupported},
    {"sockets-per-node", 0, kRequired, kUnsupported},
    {"cores-per-socket", 0, kRequired, kUnsupported},
    {"kill-on-invalid-dep", 0, kRequired, kUnsupported},
    {"get-user-env", 0, kOptional, kUnsupported},
    {"propagate", 0, kOptional, kUnsupported},
    {"profile", 0, kRequired, kUnsupported},
    {"priority", 0, kRequired, kUnsupported},
    {"deadline", 0, kRequired, kUnsupported},
    {"time-min", 0, kRequired, kUnsupported},
    {"uid", 0, kRequired, kUnsupported},
    {"gid", 0, kRequired, kUnsupported},
    {"nodelist", 'w', kRequired, kUnsupported},
    {"exclude", 'x', kRequired, kUnsupported},
    {"clusters", 'M', kRequired, kUnsupported},
    {"cluster", 0, kRequired, kUnsupported},
    {"container", 0, kRequired, kUnsupported},
    {"oversubscribe", 's', kNone, kUnsupported},
    {"overcommit", 'O', kNone, kUnsupported},
    {"spread-job", 0, kNone, kUnsupported},
    {"use-min-nodes", 0, kNone, kUnsupported},
    {"no-kill", 'k', kOptional, kUnsupported},
    {"acctg-freq", 0, kRequired, kUnsupported},
    {"core-spec", 'S', kRequired, kUnsupported},
    {"thread-spec", 0, kRequired, kUnsupported},
    {"mcs-label", 0, kRequired, kUnsupported},
    {"power", 0, kRequired, kUnsupported},
    {"mincpus", 0, kRequired, kUnsupported},
    {"ntasks-per-core", 0, kRequired, kUnsupported},
    {"ntasks-per-socket", 0, kRequired, kUnsupported},
    {"ntasks-per-gpu", 0, kRequired, kNtasksPerGpu},
    {"gpu-bind", 0, kRequired, kUnsupported},
    {"gpu-freq", 0, kRequired, kUnsupported},
    {"cpu-freq", 0, kRequired, kUnsupported},
    {"gres-flags", 0, kRequired, kUnsupported},
    {"export-file", 0, kRequired, kUnsupported},
    {"input", 'i', kRequired, kUnsupported},
    {"extra-node-info", 'B', kRequired, kUnsupported},
    {"nodefile", 'F', kRequired, kUnsupported},
    {"prefer", 0, kRequired, kUnsupported},
    {"delay-boot", 0, kRequired, kUnsupported},
    {"bb", 0, kRequired, kUnsupported},
    {"bbf", 0, kRequired, kUnsupported},
    {"tres-per-task", 0, kRequired, kUnsupported},
    {"contiguous", 0, kNone, kUnsupported},
    {"reboot", 0, kNone, kUnsupported},
    {"ignore-pbs", 0, kNone, kUnsupported},
    {"verbose", 'v', kNone, kUnsupported},
    {"quiet", 'Q', kNone, kUnsupported},
};

}  // namespace

std::vector<const OptionInfo*> find_long_option(std::string_view name) {
  std::vector<const OptionInfo*> prefixed;
  if (name.empty()) return prefixed;
  for (const OptionInfo& option : kOptions) {
    if (option.long_name == name) return {&option};
    if (option.long_name.starts_with(name)) prefixed.push_back(&option);
  }
  return prefixed;
}

const OptionInfo* find_short_option(char name) {
  if (name == 0) return nullptr;
  for (const OptionInfo& option : kOptions) {
    if (option.short_name == name) return &option;
  }
  return nullptr;
}

}  // namespace og::jobscripts
