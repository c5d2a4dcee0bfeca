// The same #SBATCH blocks given to Slurm 22.05 (sbatch --hold, then scontrol show job)
// and to OpenGrid (og-sbatch --hold, then og-squeue --json): both must accept or refuse
// each, and agree on what they understood — nodes, tasks, CPUs, memory, time limit and
// array tasks. The blocks are the option spellings of sbatch's man page and the forms
// HPC centres' documentation uses. Skips, saying why, where Slurm cannot start.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/strings.hpp"
#include "jobscripts/array_spec.hpp"
#include "jobscripts/memory_spec.hpp"
#include "jobscripts/time_spec.hpp"
#include "tests/integration/local_slurm.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

// Each block fits the local cluster (4 nodes of 2 CPUs and 4 counted-only GPUs), so Slurm
// refuses only what it finds malformed.
const char* const kBlocks[] = {
    // Nodes and tasks, every spelling.
    "#SBATCH -N 2", "#SBATCH -N2", "#SBATCH --nodes=3", "#SBATCH --nodes 2", "#SBATCH -N 1-3",
    "#SBATCH --nodes=2-4", "#SBATCH -n 4", "#SBATCH -n4", "#SBATCH --ntasks=3", "#SBATCH --ntasks 5",
    "#SBATCH -N3 --ntasks-per-node=2 -c5", "#SBATCH --nodes=2 --tasks-per-node=2", "#SBATCH --ntasks-per-node=3",
    "#SBATCH -n4 --ntasks-per-node=2", "#SBATCH -N2 -n3", "#SBATCH -N2 -n8 --ntasks-per-node=2",
    "#SBATCH -N 1-3 -n 3", "#SBATCH -c 3", "#SBATCH --cpus-per-task=2 --ntasks=3",
    "#SBATCH -N 2\n#SBATCH --ntasks-per-node=2\n#SBATCH --cpus-per-task=2",
    "#SBATCH --nodes=4 --ntasks-per-node=4 -c24", "#SBATCH -n 2 -c 2", "#SBATCH --exclusive", "#SBATCH -N2 --exclusive",
    // Memory: units, the B suffix HPC centres write, per node and per CPU.
    "#SBATCH --mem=1G", "#SBATCH --mem=1024", "#SBATCH --mem=1024M", "#SBATCH --mem=2g", "#SBATCH --mem=1GB",
    "#SBATCH --mem=512mb", "#SBATCH --mem=8192MB", "#SBATCH --mem=2048K", "#SBATCH -N2 --mem=1G",
    "#SBATCH -n4 --mem-per-cpu=100", "#SBATCH --mem-per-cpu=1G -n 2", "#SBATCH -N2 --mem-per-cpu=100 -c2",
    "#SBATCH -n2 -c2 --mem=500", "#SBATCH --mem-per-cpu=2GB",
    // Time limits: every form, rounded up to minutes.
    "#SBATCH -t 30", "#SBATCH --time=90", "#SBATCH -t 30:00", "#SBATCH --time=0:30", "#SBATCH -t 1:00:00",
    "#SBATCH --time=01:30:00", "#SBATCH -t 1-0", "#SBATCH --time=1-12", "#SBATCH -t 1-2:30", "#SBATCH -t 2-00:00:00",
    "#SBATCH --time=0:0:30", "#SBATCH --time=00:10:05", "#SBATCH -t 5:30", "#SBATCH --time 45",
    // GPUs: per job, per node (and --gres), per task, with tasks and memory per GPU.
    "#SBATCH --gpus=4", "#SBATCH -G 1", "#SBATCH --gpus=tesla:2", "#SBATCH -N2 --gpus-per-node=2",
    "#SBATCH -N2 --gres=gpu:tesla:2", "#SBATCH --gres=gpu:1", "#SBATCH --gres=gpu", "#SBATCH -n3 --gpus-per-task=1",
    "#SBATCH --gpus=2 --ntasks-per-gpu=2", "#SBATCH --gpus=2 --mem-per-gpu=1G",
    // Arrays.
    "#SBATCH --array=1-3", "#SBATCH -a 0-15:4", "#SBATCH --array=1,3,5", "#SBATCH --array=0-9%2", "#SBATCH -a 7",
    "#SBATCH --array=0-3 -n2", "#SBATCH --array 2-4", "#SBATCH --array=1-2,5-6%1",
    // Mixed, as real scripts write them.
    "#SBATCH --job-name=train\n#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=2\n#SBATCH --time=02:00:00\n#SBATCH --mem=1G",
    "#SBATCH -J x -o out.%j -e err.%j -n 2 -t 10", "#SBATCH --ntasks=4 --cpus-per-task=2 --mem-per-cpu=500M --time=1:00:00",
    // Malformed: both refuse.
    "#SBATCH -n 0", "#SBATCH -c x", "#SBATCH --mem=4X", "#SBATCH -t 1:2:3:4", "#SBATCH --array=5-1",
    "#SBATCH -N 4-2", "#SBATCH --nodes=x", "#SBATCH --gpus-per-node=2 --gpus=3",
};

// Slurm takes these; OpenGrid refuses them on purpose, saying why: a job is paid for from
// an escrow locked at submission, so it needs a bound on its cost; and a job of no nodes
// (Slurm's for burst buffers alone) has nothing to run on a provider.
const std::pair<const char*, const char*> kRefusedOnPurpose[] = {
    {"#SBATCH --time=UNLIMITED", "--time"}, {"#SBATCH --time=infinite", "--time"}, {"#SBATCH -t 0", "--time"},
    {"#SBATCH -N 0", "--nodes"}};

// What one of them understood.
struct Understood {
  bool accepted = false;
  std::string refusal;
  uint32_t nodes = 0, nodes_max = 0, tasks = 0, cpus = 0;
  uint64_t mem_mb = 0;
  uint32_t gpus = 0;         // the whole job's
  int64_t time_limit_s = 0;  // -1 unlimited
  std::vector<uint32_t> array_tasks;
};

std::map<std::string, std::string> scontrol_fields(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream words(text);
  for (std::string word; words >> word;)
    if (auto eq = word.find('='); eq != std::string::npos) fields.emplace(word.substr(0, eq), word.substr(eq + 1));
  return fields;
}

Understood slurm_understood(const std::string& script) {
  Understood u;
  std::string out = slurm().run("sbatch --hold --parsable " + script);
  std::string id = out.substr(0, out.find_first_of("\n;"));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    u.refusal = out;
    return u;
  }
  u.accepted = true;
  auto f = scontrol_fields(slurm().run("scontrol show job " + id));
  slurm().run("scancel " + id);
  std::string nodes = f["NumNodes"];
  u.nodes = static_cast<uint32_t>(std::stoul(nodes));
  u.nodes_max = nodes.find('-') == std::string::npos ? 0 : static_cast<uint32_t>(std::stoul(nodes.substr(nodes.find('-') + 1)));
  u.tasks = static_cast<uint32_t>(std::stoul(f["NumTasks"]));
  u.cpus = static_cast<uint32_t>(std::stoul(f["NumCPUs"]));
  for (const auto& item : og::split_list(f["TRES"]))
    if (item.rfind("mem=", 0) == 0) u.mem_mb = jobscripts::parse_memory_mb(item.substr(4));
  u.time_limit_s = jobscripts::parse_time_limit(f["TimeLimit"]);
  // A pending job's GPUs are in the form asked for: gres:gpu[:TYPE][:N] per job, node or task.
  auto gpu_count = [&](const char* key) -> uint32_t {
    if (!f.count(key)) return 0;
    std::string v = f[key];
    return v.find_first_of("0123456789") == std::string::npos ? 1 : static_cast<uint32_t>(std::stoul(v.substr(v.rfind(':') + 1)));
  };
  u.gpus = gpu_count("TresPerJob") + gpu_count("TresPerNode") * u.nodes + gpu_count("TresPerTask") * u.tasks;
  if (f.count("ArrayTaskId")) u.array_tasks = jobscripts::parse_array_spec(f["ArrayTaskId"]).task_ids;
  return u;
}

Understood opengrid_understood(Mesh& mesh, const std::string& script, const std::string& cwd = "") {
  Understood u;
  auto r = mesh.run({"og-sbatch", "--hold", "--parsable", script}, "alice", cwd);
  if (r.exit_code != 0) {
    u.refusal = r.err;
    return u;
  }
  u.accepted = true;
  std::string id = r.out.substr(0, r.out.find_first_of("\n;"));
  auto listed = nlohmann::json::parse(mesh.run({"og-squeue", "-j", id, "--json"}).out);
  mesh.run({"og-scancel", id});
  const auto& job = listed["jobs"].at(0);
  u.nodes = job["node_count"];
  u.nodes_max = job["node_count_max"];
  u.tasks = job["tasks"];
  u.cpus = job["cpus"];
  u.mem_mb = job["memory_mb"];
  u.gpus = job["gpus"];
  u.time_limit_s = job["time_limit_s"];
  for (const auto& task : listed["jobs"])
    if (task["array_task_id"].is_number()) u.array_tasks.push_back(task["array_task_id"].get<uint32_t>());
  return u;
}

bool has(const std::string& block, std::initializer_list<const char*> options) {
  for (const char* o : options)
    if (block.find(o) != std::string::npos) return true;
  return false;
}

TEST(SbatchVsSlurm, TheSameBlocksAreUnderstoodAlike) {
  if (!slurm().why_not.empty()) GTEST_SKIP() << "SKIPPED: " << slurm().why_not;
  Mesh mesh;
  mesh.start_schedd();
  int compared = 0;
  for (const char* block : kBlocks) {
    std::string text = block;
    std::string script = mesh.write_script("block" + std::to_string(compared++) + ".sh", "#!/bin/bash\n" + text + "\ntrue\n");
    Understood theirs = slurm_understood(script), ours = opengrid_understood(mesh, script);
    SCOPED_TRACE("block:\n" + text + "\nSlurm: " + theirs.refusal + "\nOpenGrid: " + ours.refusal);
    EXPECT_EQ(ours.accepted, theirs.accepted);
    if (ours.accepted != theirs.accepted) continue;
    if (!theirs.accepted) {
      EXPECT_NE(ours.refusal.find("block"), std::string::npos) << "names the file: " << ours.refusal;
      continue;
    }
    EXPECT_EQ(ours.tasks, theirs.tasks);
    // A node range leaves Slurm's pending CPU count at an estimate; with -N given both
    // show the range, without it Slurm's node count is an estimate too.
    if (!has(text, {"-N 1-", "-N 4-", "--nodes=2-"})) {
      EXPECT_EQ(ours.cpus, theirs.cpus);
    }
    if (has(text, {"-N", "--nodes"})) {
      EXPECT_EQ(ours.nodes_max, theirs.nodes_max ? theirs.nodes_max : theirs.nodes);
      // Within a range Slurm raises the minimum to what its nodes' CPUs need (cluster-bound).
      if (theirs.nodes_max == theirs.nodes || theirs.nodes_max == 0) {
        EXPECT_EQ(ours.nodes, theirs.nodes);
      }
    }
    // Without a memory option Slurm counts its site default (the whole node); OpenGrid none.
    EXPECT_EQ(ours.gpus, theirs.gpus);
    if (has(text, {"--mem"})) {
      EXPECT_EQ(ours.mem_mb, theirs.mem_mb);
    }
    if (has(text, {"-t ", "--time"})) {
      EXPECT_EQ(ours.time_limit_s, theirs.time_limit_s);
    }
    if (has(text, {"--array", "-a "})) {
      EXPECT_EQ(ours.array_tasks, theirs.array_tasks);
    }
  }
  EXPECT_EQ(compared, static_cast<int>(std::size(kBlocks)));
  // A partition nobody offers: both refuse it at submission.
  std::string unknown = mesh.write_script("unknown.sh", "#!/bin/bash\n#SBATCH -p nosuchpartition\ntrue\n");
  Understood theirs = slurm_understood(unknown), ours = opengrid_understood(mesh, unknown);
  EXPECT_FALSE(theirs.accepted);
  EXPECT_FALSE(ours.accepted);
  EXPECT_NE(ours.refusal.find("nosuchpartition"), std::string::npos) << ours.refusal;
  for (const auto& [block, why] : kRefusedOnPurpose) {
    std::string script = mesh.write_script("differs" + std::to_string(compared++) + ".sh", "#!/bin/bash\n" + std::string(block) + "\ntrue\n");
    Understood theirs = slurm_understood(script), ours = opengrid_understood(mesh, script);
    EXPECT_TRUE(theirs.accepted) << block << ": " << theirs.refusal;
    EXPECT_FALSE(ours.accepted) << block;
    EXPECT_NE(ours.refusal.find(why), std::string::npos) << block << ": says which option: " << ours.refusal;
  }
}

// The scripts users copy, as they are: submitted from a directory holding what their #OG
// --input lines ship (Slurm reads those lines as comments).
TEST(SbatchVsSlurm, TheExampleScriptsAreUnderstoodAlike) {
  if (!slurm().why_not.empty()) GTEST_SKIP() << "SKIPPED: " << slurm().why_not;
  Mesh mesh;
  mesh.start_schedd();
  std::string dir = mesh.dir() + "/examples";
  std::filesystem::create_directories(dir + "/ai");
  std::filesystem::copy(source_path("examples/ai"), dir + "/ai", std::filesystem::copy_options::recursive);
  mesh.write_script("examples/prompts.txt", "hello\n");
  mesh.write_script("examples/og-train", "#!/bin/sh\n");
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("jobscripts/examples"))) {
    if (entry.path().extension() != ".sh") continue;
    std::string script = entry.path().string();
    Understood theirs = slurm_understood(script), ours = opengrid_understood(mesh, script, dir);
    SCOPED_TRACE(script + "\nSlurm: " + theirs.refusal + "\nOpenGrid: " + ours.refusal);
    ASSERT_TRUE(theirs.accepted);
    ASSERT_TRUE(ours.accepted);
    EXPECT_EQ(ours.tasks, theirs.tasks);
    EXPECT_EQ(ours.cpus, theirs.cpus);
    EXPECT_EQ(ours.time_limit_s, theirs.time_limit_s);
    EXPECT_EQ(ours.array_tasks, theirs.array_tasks);
    EXPECT_EQ(ours.gpus, theirs.gpus);
    if (read_file(script).find("--mem") != std::string::npos) {
      EXPECT_EQ(ours.mem_mb, theirs.mem_mb);
    }
    ++compared;
  }
  EXPECT_EQ(compared, 11);  // every script in jobscripts/examples
}

// NAME=value lines of a job's output, for the names starting with SLURM_.
std::map<std::string, std::string> slurm_variables(const std::string& output) {
  std::map<std::string, std::string> vars;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("SLURM_", 0) == 0 && line.find('=') != std::string::npos)
      vars[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
  return vars;
}

TEST(SbatchVsSlurm, AJobSeesTheVariablesASlurmJobSees) {
  if (!slurm().why_not.empty()) GTEST_SKIP() << "SKIPPED: " << slurm().why_not;
  Mesh mesh;
  mesh.start_schedd();
  mesh.start_worker(2);
  mesh.await_workers(1);
  const std::string body = "#!/bin/bash\n#SBATCH -n 2 -c 1 --mem=100 -t 5 --array=1-3:2 -J vars\nenv\n";
  std::string slurm_dir = mesh.dir() + "/slurm", og_dir = mesh.dir() + "/og";
  std::filesystem::create_directories(slurm_dir);
  std::filesystem::create_directories(og_dir);
  std::string script = mesh.write_script("vars.sh", body);

  std::string id = slurm().run("sbatch --parsable --chdir=" + slurm_dir + " " + script);
  id = id.substr(0, id.find_first_of(";\n"));
  std::string slurm_out = slurm_dir + "/slurm-" + id + "_1.out";
  ASSERT_TRUE(await([&] { return slurm().run("squeue -h -j " + id).empty() && std::filesystem::exists(slurm_out); }))
      << id << ": " << slurm().run("squeue");
  auto theirs = slurm_variables(read_file(slurm_out));

  auto r = mesh.run({"og-sbatch", "--wait", "--parsable", script}, "alice", og_dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string og_id = r.out.substr(0, r.out.find_first_of(";\n"));
  auto ours = slurm_variables(read_file(og_dir + "/slurm-" + og_id + "_1.out"));

  // Names a Slurm job has that mean nothing on a provider: Slurm's own config and control
  // daemon, and the ids of a cluster account (a job here runs under a sandbox's own uid).
  const std::set<std::string> not_here = {"SLURM_CONF", "SLURM_WORKING_CLUSTER", "SLURM_JOB_UID", "SLURM_JOB_GID",
                                          "SLURM_TASK_PID"};
  for (const auto& [name, value] : theirs) {
    if (!not_here.count(name)) {
      EXPECT_TRUE(ours.count(name)) << name << " (Slurm: " << value << ") is missing";
    }
  }
  for (const char* same : {"SLURM_NTASKS", "SLURM_NPROCS", "SLURM_CPUS_PER_TASK", "SLURM_NNODES", "SLURM_JOB_NUM_NODES",
                           "SLURM_TASKS_PER_NODE", "SLURM_CPUS_ON_NODE", "SLURM_JOB_CPUS_PER_NODE", "SLURM_MEM_PER_NODE",
                           "SLURM_JOB_NAME", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                           "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP", "SLURM_PROCID", "SLURM_LOCALID",
                           "SLURM_NODEID", "SLURM_GTIDS", "SLURM_TOPOLOGY_ADDR_PATTERN", "SLURM_NODE_ALIASES"})
    EXPECT_EQ(ours[same], theirs[same]) << same;
}

}  // namespace
}  // namespace og::test
