// A job's size as sbatch derives it from its options: the totals Slurm 22.05 showed for
// the same directives (NumNodes, NumTasks, NumCPUs, TRES mem and gres/gpu). The live
// comparison with Slurm is tests/integration/test_sbatch_vs_slurm.cpp.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "jobscripts/directives.hpp"

namespace og::jobscripts {
namespace {

struct Size {
  uint32_t nodes, nodes_max, tasks, cpus;
  uint64_t mem_mb;
  uint32_t gpus;
};

Size size_of(const std::string& directives) {
  JobSpec s = parse_job("#!/bin/bash\n" + directives + "\ntrue\n", "job.sh", {}).spec;
  return {s.nodes, s.nodes_max ? s.nodes_max : s.nodes, s.ntasks, s.total_cpus(), s.total_mem_mb(), s.gpus};
}

TEST(JobSize, AsSlurmSizesIt) {
  struct Case {
    const char* directives;
    Size expected;
  };
  const Case cases[] = {
      {"", {1, 1, 1, 1, 0, 0}},
      {"#SBATCH -N3", {3, 3, 3, 3, 0, 0}},  // one task per node
      {"#SBATCH -N3 --ntasks-per-node=2 -c5", {3, 3, 6, 30, 0, 0}},
      {"#SBATCH --nodes=4 --ntasks-per-node=4 -c24", {4, 4, 16, 384, 0, 0}},
      {"#SBATCH --nodes=2 --tasks-per-node=2", {2, 2, 4, 4, 0, 0}},
      {"#SBATCH -N2 -n3", {2, 2, 3, 3, 0, 0}},
      {"#SBATCH -n4", {1, 1, 4, 4, 0, 0}},
      {"#SBATCH -n4 --ntasks-per-node=2", {2, 2, 4, 4, 0, 0}},  // the nodes the tasks fill
      {"#SBATCH -n5 --ntasks-per-node=2", {3, 3, 5, 5, 0, 0}},
      {"#SBATCH -N2 -n8 --ntasks-per-node=2", {2, 2, 8, 8, 0, 0}},  // -n wins; the per-node count is a maximum
      {"#SBATCH --ntasks-per-node=3", {1, 1, 3, 3, 0, 0}},
      {"#SBATCH -N2-4", {2, 4, 2, 2, 0, 0}},
      {"#SBATCH -N1-3 -n3", {1, 3, 3, 3, 0, 0}},
      {"#SBATCH -c3", {1, 1, 1, 3, 0, 0}},
      {"#SBATCH -N2 --mem=1G", {2, 2, 2, 2, 2048, 0}},  // --mem is per node
      {"#SBATCH -n4 --mem-per-cpu=100", {1, 1, 4, 4, 400, 0}},
      {"#SBATCH -N2 --mem-per-cpu=100 -c2", {2, 2, 2, 4, 400, 0}},
      {"#SBATCH -n2 -c2 --mem=500", {1, 1, 2, 4, 500, 0}},
      {"#SBATCH --mem=8192MB", {1, 1, 1, 1, 8192, 0}},
      {"#SBATCH --gpus=4", {1, 1, 1, 1, 0, 4}},
      {"#SBATCH -N2 --gpus-per-node=4", {2, 2, 2, 2, 0, 8}},
      {"#SBATCH -N2 --gres=gpu:a100:2", {2, 2, 2, 2, 0, 4}},  // --gres is per node
      {"#SBATCH -n3 --gpus-per-task=2", {1, 1, 3, 3, 0, 6}},
      {"#SBATCH --gpus=2 --ntasks-per-gpu=3", {1, 1, 6, 6, 0, 2}},
      {"#SBATCH --gpus=2 --mem-per-gpu=10G", {1, 1, 1, 1, 20480, 2}},
      {"#SBATCH --gpus-per-node=2\n#SBATCH --gpus=4", {1, 1, 1, 1, 0, 4}},  // both kept: --gpus is the total
  };
  for (const auto& c : cases) {
    Size got = size_of(c.directives);
    const Size& want = c.expected;
    EXPECT_EQ(got.nodes, want.nodes) << c.directives;
    EXPECT_EQ(got.nodes_max, want.nodes_max) << c.directives;
    EXPECT_EQ(got.tasks, want.tasks) << c.directives;
    EXPECT_EQ(got.cpus, want.cpus) << c.directives;
    EXPECT_EQ(got.mem_mb, want.mem_mb) << c.directives;
    EXPECT_EQ(got.gpus, want.gpus) << c.directives;
  }
}

TEST(JobSize, PerNodeAndPerTaskFormsAreKept) {
  JobSpec s = parse_job("#!/bin/bash\n#SBATCH -N2 --gres=gpu:h100:4\ntrue\n", "job.sh", {}).spec;
  EXPECT_EQ(s.gpus_per_node, 4u);
  EXPECT_EQ(s.gpu_type, "h100");
  EXPECT_EQ(s.gpus_per_task, 0u);
  JobSpec t = parse_job("#!/bin/bash\n#SBATCH -n2 --gpus-per-task=1\ntrue\n", "job.sh", {}).spec;
  EXPECT_EQ(t.gpus_per_task, 1u);
  EXPECT_EQ(t.gpus_per_node, 0u);
}

TEST(JobSize, ContradictionsAreRefusedWithWhereAndHow) {
  try {
    parse_job("#!/bin/bash\n#SBATCH --ntasks-per-gpu=2\ntrue\n", "job.sh", {});
    FAIL() << "accepted --ntasks-per-gpu without GPUs";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("job.sh:2: ", 0), 0u) << "says where: " << e.what();
    EXPECT_NE(std::string(e.what()).find("--ntasks-per-gpu"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--gpus"), std::string::npos) << "says how to fix it: " << e.what();
  }
  EXPECT_THROW(parse_job("#!/bin/bash\n#SBATCH --gpus-per-node=x\ntrue\n", "job.sh", {}), UsageError);
  // As sbatch: --gpus must be a multiple of the per-node count.
  EXPECT_THROW(parse_job("#!/bin/bash\n#SBATCH --gpus-per-node=2 --gpus=3\ntrue\n", "job.sh", {}), UsageError);
  EXPECT_THROW(parse_job("#!/bin/bash\n#SBATCH --mem-per-gpu=4Q\ntrue\n", "job.sh", {}), UsageError);
}

}  // namespace
}  // namespace og::jobscripts
