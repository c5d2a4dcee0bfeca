// #SBATCH/#OG directive parsing, command-line overrides, --begin and --dependency syntax.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "jobscripts/directives.hpp"

namespace og::jobscripts {
namespace {

const std::string kShebang = "#!/bin/bash\n";

// A script with the given directive block followed by a command.
std::string script_with(const std::string& directives) { return kShebang + directives + "\nsrun ./a.out\n"; }

ParsedJob parse(const std::string& directives, const std::vector<std::string>& cli = {}) {
  return parse_job(script_with(directives), "job.sh", cli);
}

// Runs fn and checks it throws UsageError whose message contains every needle.
void expect_usage_error(const std::function<void()>& fn, const std::vector<std::string>& needles) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one mentioning " << needles.front();
  } catch (const UsageError& e) {
    for (const auto& needle : needles) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
          << "message: " << e.what() << "\nmissing: " << needle;
    }
  }
}

void expect_script_error(const std::string& directives, const std::vector<std::string>& needles) {
  expect_usage_error([&] { parse(directives); }, needles);
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One real-world directive line and how it changes the spec from the defaults.
struct DirectiveCase {
  std::string line;
  std::function<void(JobSpec&)> change;
  size_t warnings = 0;
};

TEST(Directives, RealWorldLines) {
  const std::vector<DirectiveCase> cases = {
      {"#SBATCH --job-name=my_job", [](JobSpec& s) { s.name = "my_job"; }},
      {"#SBATCH -J my_job", [](JobSpec& s) { s.name = "my_job"; }},
      {"#SBATCH -Jmy_job", [](JobSpec& s) { s.name = "my_job"; }},
      {"#SBATCH --job-name \"my job\"", [](JobSpec& s) { s.name = "my job"; }},
      {"#SBATCH --job-name='single quoted'", [](JobSpec& s) { s.name = "single quoted"; }},
      {"#SBATCH --job-name=a#b", [](JobSpec& s) { s.name = "a#b"; }},
      {"#SBATCH --job=abbrev", [](JobSpec& s) { s.name = "abbrev"; }},
      {"#SBATCH -p gpu", [](JobSpec& s) { s.partition = "gpu"; }},
      {"#SBATCH --partition=debug", [](JobSpec& s) { s.partition = "debug"; }},
      {"#SBATCH -N 2", [](JobSpec& s) {  // a task per node unless told otherwise
         s.nodes = 2;
         s.ntasks = 2;
       }},
      {"#SBATCH --nodes=1", [](JobSpec& s) { s.nodes = 1; }},
      {"#SBATCH --nodes=2-4", [](JobSpec& s) {
         s.nodes = 2;
         s.nodes_max = 4;
         s.ntasks = 2;
       }},
      {"#SBATCH --ntasks=16", [](JobSpec& s) { s.ntasks = 16; }},
      {"#SBATCH -n 4", [](JobSpec& s) { s.ntasks = 4; }},
      {"#SBATCH --ntasks-per-node=4", [](JobSpec& s) {  // and NumTasks=4, as sbatch derives it
         s.ntasks_per_node = 4;
         s.ntasks = 4;
       }},
      {"#SBATCH --tasks-per-node=8", [](JobSpec& s) {
         s.ntasks_per_node = 8;
         s.ntasks = 8;
       }},
      {"#SBATCH --cpus-per-task=8", [](JobSpec& s) { s.cpus_per_task = 8; }},
      {"#SBATCH -c 4", [](JobSpec& s) { s.cpus_per_task = 4; }},
      {"#SBATCH --mem=4G", [](JobSpec& s) { s.mem_mb = 4096; }},
      {"#SBATCH --mem=32000", [](JobSpec& s) { s.mem_mb = 32000; }},
      {"#SBATCH --mem=500K", [](JobSpec& s) { s.mem_mb = 1; }},
      {"#SBATCH --mem=0", [](JobSpec& s) { s.mem_mb = 0; }},
      {"#SBATCH --mem-per-cpu=2G", [](JobSpec& s) { s.mem_per_cpu_mb = 2048; }},
      {"#SBATCH --mem-per-cpu=1024M", [](JobSpec& s) { s.mem_per_cpu_mb = 1024; }},
      {"#OG --gpu-mem=80G", [](JobSpec& s) { s.gpu_mem_mb = 81920; }},
      {"#OG --cuda=12.4", [](JobSpec& s) { s.cuda = "12.4"; }},
      {"#SBATCH --gres=gpu:v100:2",
       [](JobSpec& s) {
         s.gpus = 2;
         s.gpus_per_node = 2;
         s.gpu_type = "v100";
       }},
      {"#SBATCH --gres=gpu:2", [](JobSpec& s) {
         s.gpus = 2;
         s.gpus_per_node = 2;
       }},
      {"#SBATCH --gres=gpu", [](JobSpec& s) {
         s.gpus = 1;
         s.gpus_per_node = 1;
       }},
      {"#SBATCH --gres=gpu:a100",
       [](JobSpec& s) {
         s.gpus = 1;
         s.gpus_per_node = 1;
         s.gpu_type = "a100";
       }},
      {"#SBATCH --gres=gpu:a100:1,nvme:1",
       [](JobSpec& s) {
         s.gpus = 1;
         s.gpus_per_node = 1;
         s.gpu_type = "a100";
       },
       1},
      {"#SBATCH --gres=gres/gpu:4", [](JobSpec& s) {
         s.gpus = 4;
         s.gpus_per_node = 4;
       }},
      {"#SBATCH -G 2", [](JobSpec& s) { s.gpus = 2; }},
      {"#SBATCH --gpus=a100:4",
       [](JobSpec& s) {
         s.gpus = 4;
         s.gpu_type = "a100";
       }},
      {"#SBATCH -t 2-00:00:00", [](JobSpec& s) { s.time_limit_s = 172800; }},
      {"#SBATCH --time=01:30:00", [](JobSpec& s) { s.time_limit_s = 5400; }},
      {"#SBATCH --time=30", [](JobSpec& s) { s.time_limit_s = 1800; }},
      {"#SBATCH -t 0-12", [](JobSpec& s) { s.time_limit_s = 43200; }},
      {"#SBATCH --time=UNLIMITED", [](JobSpec& s) { s.time_limit_s = kTimeUnlimited; }},
      {"#SBATCH -o slurm-%A_%a.out", [](JobSpec& s) { s.output = "slurm-%A_%a.out"; }},
      {"#SBATCH --output=%x-%j.out", [](JobSpec& s) { s.output = "%x-%j.out"; }},
      {"#SBATCH -e err-%j.txt", [](JobSpec& s) { s.error = "err-%j.txt"; }},
      {"#SBATCH --array=1-10%2", [](JobSpec& s) { s.array = "1-10%2"; }},
      {"#SBATCH -a 0-15:4", [](JobSpec& s) { s.array = "0-15:4"; }},
      {"#SBATCH --dependency=afterok:12345", [](JobSpec& s) { s.dependency = "afterok:12345"; }},
      {"#SBATCH -d singleton", [](JobSpec& s) { s.dependency = "singleton"; }},
      {"#SBATCH --export=NONE", [](JobSpec& s) { s.export_mode = "NONE"; }},
      {"#SBATCH --export=ALL", [](JobSpec& s) { s.export_mode = "ALL"; }},
      {"#SBATCH --export=ALL,OMP_NUM_THREADS=4",
       [](JobSpec& s) {
         s.environment = {{"OMP_NUM_THREADS", "4"}};
       }},
      {"#SBATCH --export=A=1,B=x=y",
       [](JobSpec& s) {
         s.export_mode = "NONE";
         s.environment = {{"A", "1"}, {"B", "x=y"}};
       }},
      {"#SBATCH --export=ALL,PATHS=/a,/b",
       [](JobSpec& s) {
         s.environment = {{"PATHS", "/a,/b"}};
       }},
      {"#SBATCH -D /scratch/me", [](JobSpec& s) { s.chdir = "/scratch/me"; }},
      {"#SBATCH --chdir=run1", [](JobSpec& s) { s.chdir = "run1"; }},
      {"#SBATCH -A proj123", [](JobSpec& s) { s.account = "proj123"; }},
      {"#SBATCH --account=def-someuser", [](JobSpec& s) { s.account = "def-someuser"; }},
      {"#SBATCH --qos=normal", [](JobSpec& s) { s.qos = "normal"; }},
      {"#SBATCH -q long", [](JobSpec& s) { s.qos = "long"; }},
      {"#SBATCH --nice", [](JobSpec& s) { s.nice = 100; }},
      {"#SBATCH --nice=10", [](JobSpec& s) { s.nice = 10; }},
      {"#SBATCH --nice=-5", [](JobSpec& s) { s.nice = -5; }},
      {"#SBATCH --comment=\"nightly run\"", [](JobSpec& s) { s.comment = "nightly run"; }},
      {"#SBATCH --comment='a b  c'", [](JobSpec& s) { s.comment = "a b  c"; }},
      {"#SBATCH -H", [](JobSpec& s) { s.hold = true; }},
      {"#SBATCH --hold", [](JobSpec& s) { s.hold = true; }},
      {"#SBATCH -HJfoo",
       [](JobSpec& s) {
         s.hold = true;
         s.name = "foo";
       }},
      {"#SBATCH --no-requeue", [](JobSpec& s) { s.requeue = false; }},
      {"#SBATCH --requeue", [](JobSpec&) {}},
      {"#SBATCH --mail-type=END,FAIL", [](JobSpec&) {}, 1},
      {"#SBATCH --mail-user=me@uni.edu", [](JobSpec&) {}, 1},
      {"#SBATCH --exclusive", [](JobSpec& s) { s.exclusive = true; }},
      {"#SBATCH --exclusive=user", [](JobSpec& s) { s.exclusive = true; }},
      {"#SBATCH --constraint=haswell", [](JobSpec& s) { s.constraint = "haswell"; }},
      {"#SBATCH -C intel", [](JobSpec& s) { s.constraint = "intel"; }},
      {"#SBATCH -C \"avx512&nvme\"", [](JobSpec& s) { s.constraint = "avx512&nvme"; }},
      {"#SBATCH --constraint=h100|a100", [](JobSpec& s) { s.constraint = "h100|a100"; }},
      {"#SBATCH --constraint=[v100]", [](JobSpec& s) { s.constraint = "[v100]"; }},
      {"#SBATCH -C [rack1|rack2]", [](JobSpec& s) { s.constraint = "[rack1|rack2]"; }},
      {"#SBATCH --nodelist=node[01-04]", [](JobSpec&) {}, 1},
      {"#SBATCH -w node01", [](JobSpec&) {}, 1},
      {"#SBATCH --signal=B:USR1@60", [](JobSpec&) {}, 1},
      {"#SBATCH --hint=nomultithread", [](JobSpec&) {}, 1},
      {"#SBATCH --reservation maint", [](JobSpec&) {}, 1},
      {"#SBATCH --ntasks=4 --cpus-per-task=2  # four MPI ranks",
       [](JobSpec& s) {
         s.ntasks = 4;
         s.cpus_per_task = 2;
       }},
      {"#SBATCH\t--ntasks=3", [](JobSpec& s) { s.ntasks = 3; }},
      {"#SBATCH", [](JobSpec&) {}},
      {"#SBATCH # only a comment", [](JobSpec&) {}},
      {"#OG --replicas=3", [](JobSpec& s) { s.replicas = 3; }},
      {"#OG --replicas=3 --quorum=2",
       [](JobSpec& s) {
         s.replicas = 3;
         s.quorum = 2;
       }},
      {"#OG --max-price=0.25", [](JobSpec& s) { s.max_price_micros = 250000; }},
      {"#OG --max-price=2", [](JobSpec& s) { s.max_price_micros = 2000000; }},
      {"#OG --max-price=.5", [](JobSpec& s) { s.max_price_micros = 500000; }},
      {"#OG --max-price=0.000001", [](JobSpec& s) { s.max_price_micros = 1; }},
      {"#OG --max-gpu-price=1.5", [](JobSpec& s) { s.max_gpu_price_micros = 1500000; }},
      {"#OG --verify=fuzzy:1e-6", [](JobSpec& s) { s.verify = "fuzzy:1e-6"; }},
      {"#OG --exclude-stdio", [](JobSpec& s) { s.exclude_stdio = true; }},
      {"#OG --network=none", [](JobSpec& s) { s.network = "none"; }},
      {"#OG --network loopback", [](JobSpec&) {}},
      {"#SBATCH --replicas=2", [](JobSpec& s) { s.replicas = 2; }},  // either prefix works
      // Not directives: ignored like any other comment.
      {"##SBATCH --job-name=disabled", [](JobSpec&) {}},
      {"# SBATCH --job-name=disabled", [](JobSpec&) {}},
      {" #SBATCH --job-name=indented", [](JobSpec&) {}},
      {"#sbatch --job-name=lowercase", [](JobSpec&) {}},
      {"#SBATCH--job-name=glued", [](JobSpec&) {}},
      {"#OGX --replicas=2", [](JobSpec&) {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    ParsedJob job = parse(c.line);
    JobSpec expected;
    expected.name = "job.sh";
    expected.script_name = "job.sh";
    expected.script = script_with(c.line);
    c.change(expected);
    EXPECT_EQ(to_json(job.spec), to_json(expected));
    EXPECT_EQ(job.warnings.size(), c.warnings);
  }
}

TEST(Directives, DataNamesARegistryDataSetOrAnEarlierJobsResult) {
  ParsedJob job = parse("#OG --data=prev=job:42\n#OG --data=set=127.0.0.1:5000/me/set:1\n");
  EXPECT_EQ(job.spec.data.at("prev"), "job:42");
  EXPECT_EQ(job.spec.data.at("set"), "127.0.0.1:5000/me/set:1");
  expect_script_error("#OG --data=prev=job:42_3\n", {"expected job:ID", "by its own id", "job:42_3", "job.sh:2"});
  expect_script_error("#OG --data=prev=job:\n", {"expected job:ID"});
}

TEST(Directives, ClientFlags) {
  ParsedJob job = parse(
      "#SBATCH --wait --test-only --parsable\n#OG --url=http://127.0.0.1:8080 --token-file ~/.og/token");
  EXPECT_TRUE(job.flags.wait);
  EXPECT_TRUE(job.flags.test_only);
  EXPECT_TRUE(job.flags.parsable);
  EXPECT_EQ(job.flags.url, "http://127.0.0.1:8080");
  EXPECT_EQ(job.flags.token_file, "~/.og/token");
  EXPECT_FALSE(parse("#SBATCH -J x").flags.wait);
  EXPECT_TRUE(parse("", {"-W"}).flags.wait);
}

TEST(Directives, DefaultsComeFromTheScriptPath) {
  const std::string text = script_with("");
  ParsedJob job = parse_job(text, "/home/u/jobs/run.sh", {});
  EXPECT_EQ(job.spec.name, "run.sh");
  EXPECT_EQ(job.spec.script_name, "run.sh");
  EXPECT_EQ(job.spec.script, text);
  EXPECT_TRUE(job.warnings.empty());
  EXPECT_EQ(parse_job(text, "-", {}).spec.name, "sbatch");
  EXPECT_EQ(parse_job(text, "-", {}).spec.script_name, "sbatch");
  EXPECT_EQ(parse_job(text, "rel/dir/x.sbatch", {}).spec.name, "x.sbatch");
}

TEST(Directives, ParsingStopsAtTheFirstCommand) {
  const std::string text = kShebang +
                           "\n"
                           "# A description of the job\n"
                           "#SBATCH --job-name=first\n"
                           "   # an indented comment\n"
                           "\n"
                           "#SBATCH --ntasks=2\n"
                           "module load gcc\n"
                           "#SBATCH --ntasks=99\n"
                           "#SBATCH --bogus-option\n";
  ParsedJob job = parse_job(text, "job.sh", {});
  EXPECT_EQ(job.spec.name, "first");
  EXPECT_EQ(job.spec.ntasks, 2u);
}

TEST(Directives, LastOptionWinsAndCommandLineOverridesScript) {
  const std::string directives =
      "#SBATCH --time=10 --job-name=a\n#SBATCH --time=20\n#SBATCH --mem=4G\n#OG --replicas=3";
  ParsedJob script_only = parse(directives);
  EXPECT_EQ(script_only.spec.time_limit_s, 1200);
  EXPECT_EQ(script_only.spec.name, "a");

  ParsedJob job = parse(directives, {"-t", "5", "--job-name=b", "--mem-per-cpu=1G", "--replicas", "1"});
  EXPECT_EQ(job.spec.time_limit_s, 300);
  EXPECT_EQ(job.spec.name, "b");
  EXPECT_EQ(job.spec.mem_per_cpu_mb, 1024u);
  EXPECT_EQ(job.spec.mem_mb, 0u);  // --mem and --mem-per-cpu exclude each other
  EXPECT_EQ(job.spec.replicas, 1u);
  EXPECT_EQ(parse("#SBATCH --no-requeue", {"--requeue"}).spec.requeue, true);
  EXPECT_EQ(parse("#SBATCH --export=ALL,A=1", {"--export=NONE"}).spec.environment.size(), 0u);
}

TEST(Directives, ErrorsNameFileLineAndOption) {
  const std::string text = kShebang + "# comment\n\n#SBATCH --time=1:2:3:4\necho\n";
  try {
    parse_job(text, "job.sh", {});
    FAIL() << "accepted a bad time";
  } catch (const UsageError& e) {
    EXPECT_STREQ(
        e.what(),
        "job.sh:4: --time: invalid time \"1:2:3:4\" (use M, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED)");
  }
  expect_usage_error([] { parse_job(kShebang + "#SBATCH -t 1:2:3:4\n", "dir/j.sh", {}); },
                     {"dir/j.sh:2: --time: invalid time"});
  expect_usage_error([] { parse("", {"--mem=lots"}); }, {"command line: --mem: ", "\"lots\""});
  expect_usage_error([] { parse("#SBATCH -J ok", {"-N", "0"}); }, {"command line: --nodes: "});
}

TEST(Directives, OptionErrors) {
  struct Case {
    std::string directives;
    std::vector<std::string> needles;
  };
  const std::vector<Case> cases = {
      {"#SBATCH --frobnicate=1", {"job.sh:2: unknown option \"--frobnicate\"", "og-sbatch --help"}},
      {"#SBATCH -Z", {"job.sh:2: unknown option \"-Z\""}},
      {"#SBATCH --wrap=hostname", {"job.sh:2: --wrap: it belongs on og-sbatch's command line"}},
      {"#SBATCH --cpus=2", {"job.sh:2:", "ambiguous", "--cpus-per-task"}},
      {"#SBATCH -J a\n#SBATCH --time", {"job.sh:3: --time requires a value"}},
      {"#SBATCH -t", {"job.sh:2: --time requires a value"}},
      {"#SBATCH --hold=yes", {"job.sh:2: --hold takes no value"}},
      {"#SBATCH --job-name=x extra", {"job.sh:2: unexpected argument \"extra\""}},
      {"#SBATCH --job-name=\"unclosed", {"job.sh:2: unterminated \" quote"}},
      {"#SBATCH --job-name=", {"job.sh:2: --job-name: "}},
      {"#SBATCH -N 0", {"job.sh:2: --nodes: "}},
      {"#SBATCH -N 4-2", {"job.sh:2: --nodes: ", "maximum below its minimum"}},
      {"#SBATCH -n 0", {"job.sh:2: --ntasks: "}},
      {"#SBATCH -c x", {"job.sh:2: --cpus-per-task: "}},
      {"#SBATCH --mem=4QB", {"job.sh:2: --mem: invalid memory size \"4QB\""}},
      {"#SBATCH --gres=gpu:a:b:c", {"job.sh:2: --gres: "}},
      {"#SBATCH --gres=gpu:x:two", {"job.sh:2: --gres: "}},
      {"#SBATCH --gpus=", {"job.sh:2: --gpus: "}},
      {"#OG --cuda=12", {"job.sh:2: --cuda: ", "MAJOR.MINOR (e.g. 12.4)"}},
      {"#OG --gpu-mem=lots", {"job.sh:2: --gpu-mem: "}},
      {"#SBATCH --array=5-1", {"job.sh:2: --array: ", "ends before it starts"}},
      {"#SBATCH --dependency=before:1", {"job.sh:2: --dependency: "}},
      {"#SBATCH --export=NONE,A=1", {"job.sh:2: --export: "}},
      {"#SBATCH --export=1BAD=x", {"job.sh:2: --export: "}},
      {"#SBATCH --begin=yesterday", {"job.sh:2: --begin: "}},
      {"#SBATCH --nice=2147483646", {"job.sh:2: --nice: "}},
      {"#SBATCH --nice=x", {"job.sh:2: --nice: "}},
      {"#OG --replicas=0", {"job.sh:2: --replicas: "}},
      {"#OG --replicas=17", {"job.sh:2: --replicas: ", "16"}},
      {"#OG --replicas=2 --quorum=3", {"job.sh:2: --quorum: ", "--replicas is 2"}},
      {"#OG --quorum=2", {"job.sh:2: --quorum: "}},
      {"#OG --max-price=-1", {"job.sh:2: --max-price: "}},
      {"#OG --max-price=abc", {"job.sh:2: --max-price: "}},
      {"#OG --max-price=0.1234567", {"job.sh:2: --max-price: "}},
      {"#OG --max-price=1e3", {"job.sh:2: --max-price: "}},
      {"#OG --max-price=1.", {"job.sh:2: --max-price: "}},
      {"#OG --max-price=", {"job.sh:2: --max-price: "}},
      {"#OG --max-price=99999999999999999", {"job.sh:2: --max-price: ", "too large"}},
      {"#OG --max-price=4611686018427.387903", {"job.sh:2: --max-price: ", "above the ceiling of 1000000000.000000"}},
      {"#OG --max-gpu-price=1000000000.000001", {"job.sh:2: --max-gpu-price: ", "above the ceiling"}},
      {"#OG --network=host", {"job.sh:2: --network: "}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.directives);
    expect_script_error(c.directives, c.needles);
  }
}

TEST(Directives, QuorumIsCheckedAfterAllOptions) {
  // The script's quorum is fine until the command line lowers the replica count.
  expect_usage_error([] { parse("#OG --replicas=5\n#OG --quorum=4", {"--replicas=3"}); },
                     {"job.sh:3: --quorum: ", "--replicas is 3"});
  EXPECT_EQ(parse("#OG --quorum=4", {"--replicas=5"}).spec.quorum, 4u);
}

TEST(Directives, UnsupportedOptionsWarnOncePerOption) {
  ParsedJob job =
      parse("#SBATCH --mail-type=BEGIN\n#SBATCH --mail-type=END\n#SBATCH --hint=compute_bound", {"--wckey=x"});
  ASSERT_EQ(job.warnings.size(), 3u);
  EXPECT_EQ(job.warnings[0], "job.sh:2: --mail-type is not supported by OpenGrid yet and is ignored");
  EXPECT_EQ(job.warnings[1], "job.sh:4: --hint is not supported by OpenGrid yet and is ignored");
  EXPECT_EQ(job.warnings[2], "command line: --wckey is not supported by OpenGrid yet and is ignored");
}

TEST(Directives, ConstraintsAndExclusiveAreValidated) {
  EXPECT_THROW(parse("#SBATCH -C \"a&b|c\""), UsageError);
  EXPECT_THROW(parse("#SBATCH -C \"[rack1*2]\""), UsageError);
  EXPECT_THROW(parse("#SBATCH -C \"[a|b]&c\""), UsageError);
  EXPECT_THROW(parse("#SBATCH -C \"[]\""), UsageError);
  EXPECT_THROW(parse("#SBATCH --exclusive=sometimes"), UsageError);
}

TEST(Directives, EveryListedUnsupportedOptionIsAccepted) {
  const std::vector<std::string> options = {"--mail-type=ALL",
                                            "--mail-user=a@b",
                                            "--signal=USR1",
                                            "--licenses=matlab",
                                            "-L",
                                            "x",
                                            "--mem-bind=local",
                                            "--cpu-bind=cores",
                                            "--distribution=block",
                                            "-m",
                                            "block",
                                            "--hint=compute_bound",
                                            "--reservation=r",
                                            "--wckey=w",
                                            "--tmp=10G",
                                            "--open-mode=append",
                                            "--cpus-per-gpu=4",
                                            "--switches=1",
                                            "--threads-per-core=1",
                                            "--sockets-per-node=2",
                                            "--cores-per-socket=8",
                                            "--kill-on-invalid-dep=yes",
                                            "--get-user-env",
                                            "--propagate",
                                            "--profile=task",
                                            "--priority=5",
                                            "--deadline=now+1hour",
                                            "--time-min=10",
                                            "--uid=1000",
                                            "--gid=1000",
                                            "--nodelist=n1",
                                            "-w",
                                            "n1",
                                            "--exclude=n2",
                                            "-x",
                                            "n2",
                                            "--clusters=c",
                                            "-M",
                                            "c",
                                            "--container=/c",
                                            "--oversubscribe",
                                            "-s",
                                            "--overcommit",
                                            "-O",
                                            "--spread-job",
                                            "--use-min-nodes",
                                            "--no-kill",
                                            "-k",
                                            "--acctg-freq=30",
                                            "--core-spec=1",
                                            "--thread-spec=1",
                                            "--mcs-label=m",
                                            "--power=level"};
  ParsedJob job = parse("", options);
  EXPECT_EQ(job.warnings.size(), 40u);  // one per option, short or long spelling
  for (const auto& w : job.warnings)
    EXPECT_NE(w.find("is not supported by OpenGrid yet"), std::string::npos) << w;
}

TEST(Directives, GresWarnsAboutNonGpuEntries) {
  ParsedJob job = parse("#SBATCH --gres=mps:50,gpu:1");
  EXPECT_EQ(job.spec.gpus, 1u);
  ASSERT_EQ(job.warnings.size(), 1u);
  EXPECT_NE(job.warnings[0].find("job.sh:2: --gres: \"mps:50\""), std::string::npos) << job.warnings[0];
  EXPECT_EQ(parse("#SBATCH --gres=gpu:2", {"--gres=none"}).spec.gpus, 0u);
}

TEST(Directives, ExportTakesBareNamesFromTheEnvironment) {
  ::setenv("OG_TEST_EXPORT_SET", "from-env", 1);
  ::unsetenv("OG_TEST_EXPORT_UNSET");
  ParsedJob job = parse("#SBATCH --export=OG_TEST_EXPORT_SET,OG_TEST_EXPORT_UNSET,X=1");
  EXPECT_EQ(job.spec.export_mode, "NONE");
  EXPECT_EQ(job.spec.environment,
            (std::map<std::string, std::string>{{"OG_TEST_EXPORT_SET", "from-env"}, {"X", "1"}}));
  EXPECT_EQ(parse("#SBATCH --export=ALL,OG_TEST_EXPORT_SET").spec.export_mode, "ALL");
}

TEST(Directives, BeginUsesTheCurrentTime) {
  const int64_t before = unix_now();
  ParsedJob job = parse("#SBATCH --begin=now+1hour");
  EXPECT_GE(job.spec.begin_time, before + 3600);
  EXPECT_LE(job.spec.begin_time, unix_now() + 3600);
  EXPECT_EQ(parse("#SBATCH --begin=2030-01-01T00:00:00").spec.begin_time, 1893456000);
}

TEST(Directives, ScriptMustLookLikeABatchScript) {
  expect_usage_error([] { parse_job("echo hi\n", "job.sh", {}); },
                     {"job.sh: This does not look like a batch script", "#!"});
  expect_usage_error([] { parse_job("", "job.sh", {}); }, {"job.sh: batch script is empty"});
  expect_usage_error([] { parse_job("#!/bin/bash\r\n#SBATCH -J x\r\n", "job.sh", {}); }, {"DOS line breaks"});
  expect_usage_error([] { parse_job("no shebang", "-", {}); },
                     {"stdin: This does not look like a batch script"});
  expect_usage_error([] { parse_job(kShebang + std::string(1 << 20, '#'), "big.sh", {}); },
                     {"big.sh: ", "1 MiB"});
}

TEST(Directives, WrapMakesTheScriptAsSbatchDoes) {
  CommandLine cl = split_sbatch_command_line({"-n2", "--wrap", "echo hi; hostname"});
  EXPECT_TRUE(cl.script_path.empty()) << "the command is --wrap's value, not a script";
  auto script = wrapped_script(cl.options);
  ASSERT_TRUE(script);
  EXPECT_EQ(*script, "#!/bin/sh\n# This script was created by sbatch --wrap.\n\necho hi; hostname\n");
  EXPECT_EQ(wrapped_script({"--wrap=a", "--wrap=b"}), "#!/bin/sh\n# This script was created by sbatch --wrap.\n\nb\n");
  EXPECT_FALSE(wrapped_script({"-n2"}));
  ParsedJob job = parse_job(*script, "wrap", cl.options);
  EXPECT_EQ(job.spec.name, "wrap") << "sbatch names a wrapped job wrap";
  EXPECT_EQ(job.spec.ntasks, 2u);
  EXPECT_TRUE(job.warnings.empty());
}

TEST(Directives, SplitCommandLine) {
  CommandLine cl = split_sbatch_command_line(
      {"-J", "x", "--time", "10", "--mem=4G", "-Hp", "debug", "--wait", "job.sh", "a", "-b", "--time=5"});
  EXPECT_EQ(cl.options,
            (std::vector<std::string>{"-J", "x", "--time", "10", "--mem=4G", "-Hp", "debug", "--wait"}));
  EXPECT_EQ(cl.script_path, "job.sh");
  EXPECT_EQ(cl.script_args, (std::vector<std::string>{"a", "-b", "--time=5"}));

  CommandLine dashdash = split_sbatch_command_line({"-N2", "--", "-odd.sh", "x"});
  EXPECT_EQ(dashdash.options, (std::vector<std::string>{"-N2"}));
  EXPECT_EQ(dashdash.script_path, "-odd.sh");
  EXPECT_EQ(dashdash.script_args, (std::vector<std::string>{"x"}));

  CommandLine stdin_script = split_sbatch_command_line({"--parsable", "-", "arg"});
  EXPECT_EQ(stdin_script.script_path, "-");
  EXPECT_EQ(stdin_script.script_args, (std::vector<std::string>{"arg"}));

  CommandLine no_script = split_sbatch_command_line({"-t"});
  EXPECT_EQ(no_script.options, (std::vector<std::string>{"-t"}));
  EXPECT_TRUE(no_script.script_path.empty());

  // --nice's value is optional, so the next word is the script, as with sbatch.
  EXPECT_EQ(split_sbatch_command_line({"--nice", "job.sh"}).script_path, "job.sh");
  EXPECT_EQ(split_sbatch_command_line({"--unknown", "job.sh"}).script_path, "job.sh");
  EXPECT_TRUE(split_sbatch_command_line({}).script_path.empty());

  // The split options feed parse_job unchanged.
  ParsedJob job = parse("", cl.options);
  EXPECT_EQ(job.spec.name, "x");
  EXPECT_EQ(job.spec.partition, "debug");
  EXPECT_TRUE(job.spec.hold);
  EXPECT_TRUE(job.flags.wait);
}

std::string read_example(const std::string& name) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../jobscripts/examples" / name;
  std::ifstream in(path);
  if (!in) ADD_FAILURE() << "cannot read " << path;  // __FILE__ is relative when built by hand
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(Directives, ExampleScriptsParseCleanly) {
  ParsedJob hello = parse_job(read_example("hello.sh"), "hello.sh", {});
  EXPECT_EQ(hello.spec.name, "hello");
  EXPECT_EQ(hello.spec.ntasks, 1u);
  EXPECT_EQ(hello.spec.time_limit_s, 60);
  EXPECT_EQ(hello.spec.output, "hello-%j.out");
  EXPECT_EQ(hello.spec.replicas, 3u);
  EXPECT_TRUE(hello.warnings.empty());
  EXPECT_EQ(hello.spec.script.find("SLURM_JOB_ID"), std::string::npos);

  ParsedJob array = parse_job(read_example("array.sh"), "array.sh", {});
  EXPECT_EQ(array.spec.array, "0-3");
  EXPECT_EQ(parse_array_spec(array.spec.array).task_ids.size(), 4u);

  EXPECT_EQ(parse_job(read_example("sleep.sh"), "sleep.sh", {}).spec.name, "sleep");
  EXPECT_EQ(parse_job(read_example("fail.sh"), "fail.sh", {}).spec.name, "fail");
}

// --begin forms, against a fixed "now": 2024-03-10 12:00:00 UTC.
constexpr int64_t kNow = 1710072000;
constexpr int64_t kToday = 1710028800;  // 2024-03-10 00:00:00 UTC
constexpr int64_t kDay = 86400;

TEST(BeginTime, Forms) {
  struct Case {
    const char* text;
    int64_t expected;
  };
  const Case cases[] = {
      {"now", kNow},
      {"NOW", kNow},
      {"now+60", kNow + 60},
      {"now+60seconds", kNow + 60},
      {"now+10minutes", kNow + 600},
      {"now+10min", kNow + 600},
      {"now+1hour", kNow + 3600},
      {"now+3hours", kNow + 3 * 3600},
      {"now+2days", kNow + 2 * kDay},
      {"now+1week", kNow + 7 * kDay},
      {"16:00", kToday + 16 * 3600},
      {"16:00:30", kToday + 16 * 3600 + 30},
      {"10:00", kToday + kDay + 10 * 3600},  // already past today: tomorrow
      {"12:00", kNow},
      {"4:00pm", kToday + 16 * 3600},
      {"4:00 PM", kToday + 16 * 3600},
      {"12:30am", kToday + kDay + 30 * 60},
      {"2024-12-25", 1735084800},
      {"2024-12-25T08:30", 1735115400},
      {"2024-12-25T08:30:15", 1735115415},
      {"2024-02-29", 1709164800},
      {"2020-01-01", 1577836800},  // in the past: the job may start at once
      {"midnight", kToday + kDay},
      {"noon", kNow},
      {"teatime", kToday + 16 * 3600},
      {"today", kToday},
      {"tomorrow", kToday + kDay},
      {"Tomorrow", kToday + kDay},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_begin_time(c.text, kNow), c.expected) << c.text;
  }
}

TEST(BeginTime, TeatimeAfterFourIsTomorrow) {
  EXPECT_EQ(parse_begin_time("teatime", kToday + 17 * 3600), kToday + kDay + 16 * 3600);
  EXPECT_EQ(parse_begin_time("noon", kToday + 13 * 3600), kToday + kDay + 12 * 3600);
  EXPECT_EQ(parse_begin_time("midnight", kToday), kToday);
}

TEST(BeginTime, SacctLooksBack) {
  // kNow is noon: 08:00 was this morning, 18:00 last evening.
  EXPECT_EQ(parse_past_time("08:00", kNow), kToday + 8 * 3600);
  EXPECT_EQ(parse_past_time("18:00", kNow), kToday - kDay + 18 * 3600);
  EXPECT_EQ(parse_past_time("midnight", kNow), kToday);
  EXPECT_EQ(parse_past_time("now-1days", kNow), kNow - kDay);
  EXPECT_EQ(parse_past_time("now-90minutes", kNow), kNow - 90 * 60);
  EXPECT_EQ(parse_past_time("yesterday", kNow), kToday - kDay);
  EXPECT_EQ(parse_past_time("2024-12-25", kNow), 1735084800);
  EXPECT_THROW(parse_past_time("now-", kNow), UsageError);
  EXPECT_THROW(parse_begin_time("now-1days", kNow), UsageError) << "--begin looks forward only";
}

TEST(BeginTime, BadFormsAreRejected) {
  for (const char* text : {"",
                           "yesterday",
                           "25:00",
                           "12:60",
                           "12:00:60",
                           "1:2:3:4",
                           "2024-02-30",
                           "2023-02-29",
                           "2024-13-01",
                           "2024-12-25 08:30",
                           "2024-12-25T8",
                           "24-12-25",
                           "now+",
                           "now+x",
                           "now+5fortnights",
                           "now-5",
                           "13:00pm",
                           "0:00am",
                           "123:00",
                           "noonish"}) {
    try {
      parse_begin_time(text, kNow);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("invalid time"), std::string::npos) << e.what();
    }
  }
}

TEST(Dependency, ValidForms) {
  for (const char* text :
       {"afterok:123", "after:123", "after:123+10", "after:123+10:456", "afterany:1:2:3", "afternotok:5",
        "afterburstbuffer:5", "aftercorr:5", "singleton", "afterok:1,afterany:2", "afterok:1?afternotok:2",
        "afterok:123_4", "afterok:123_*", "AFTEROK:5", "afterok:1,singleton", "1063543", "12:13", "12_3"}) {
    EXPECT_NO_THROW(validate_dependency(text)) << text;
  }
}

TEST(Dependency, BadSyntaxIsRejected) {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"", "empty"},
      {"afterok", "needs job ids"},
      {"afterok:", "needs job ids"},
      {"afterok:abc", "is not a job id"},
      {"afterok:0", "is not a job id"},
      {"afterok:1::2", "is not a job id"},
      {"afterok:12_x", "is not a job id"},
      {"before:1", "unknown dependency type"},
      {"expand:1", "unknown dependency type"},
      {"afterok:1,afterany:2?singleton", "cannot be mixed"},
      {"afterok:1+5", "only after:"},
      {"after:1+x", "minutes"},
      {"after:1+", "minutes"},
      {",", "unknown dependency type"},
      {"afterok:1,", "unknown dependency type"},
  };
  for (const auto& c : cases) {
    try {
      validate_dependency(c.text);
      ADD_FAILURE() << "accepted \"" << c.text << "\"";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << c.text << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace og::jobscripts
