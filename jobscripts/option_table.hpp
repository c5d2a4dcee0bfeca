// The sbatch/OpenGrid options og-sbatch understands: names, argument arity and meaning.
#pragma once

#include <string_view>
#include <vector>

namespace og::jobscripts {

enum class ArgKind { kNone, kRequired, kOptional };

enum class OptionId {
  kJobName,
  kPartition,
  kNodes,
  kNtasks,
  kNtasksPerNode,
  kCpusPerTask,
  kMem,
  kMemPerCpu,
  kGres,
  kGpus,
  kGpusPerNode,
  kGpusPerTask,
  kNtasksPerGpu,
  kMemPerGpu,
  kTime,
  kOutput,
  kError,
  kArray,
  kDependency,
  kExport,
  kChdir,
  kBegin,
  kAccount,
  kQos,
  kNice,
  kComment,
  kHold,
  kWait,
  kTestOnly,
  kParsable,
  kRequeue,
  kNoRequeue,
  kExclusive,
  kConstraint,
  kReplicas,
  kQuorum,
  kMaxPrice,
  kMaxGpuPrice,
  kGpuMem,
  kCuda,
  kNetwork,
  kVerify,
  kExcludeStdio,
  kIsolation,
  kInput,
  kBundle,
  kSecret,
  kImage,
  kData,
  kUrl,
  kTokenFile,
  kWrap,
  kUnsupported,  // a real sbatch option OpenGrid accepts but ignores, with a warning
};

struct OptionInfo {
  std::string_view long_name;  // without "--"
  char short_name;             // 0 when there is none
  ArgKind arg;
  OptionId id;
};

// Exact long-name match, or else every option the name is a prefix of (getopt_long
// accepts unambiguous abbreviations). Empty when nothing matches.
std::vector<const OptionInfo*> find_long_option(std::string_view name);
const OptionInfo* find_short_option(char name);

}  // namespace og::jobscripts
