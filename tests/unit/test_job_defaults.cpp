// og-sbatch's configured defaults for --replicas/--quorum: beneath the script's directives
// and the command line, from the environment or the client config file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/client_config.hpp"
#include "core/error.hpp"
#include "jobscripts/directives.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

class JobDefaults : public ::testing::Test {
 protected:
  void SetUp() override {
    conf_ = (dir_.path() / "client.conf").string();
    setenv("OG_CONFIG", conf_.c_str(), 1);
    unsetenv("OG_SBATCH_REPLICAS");
    unsetenv("OG_SBATCH_QUORUM");
  }
  void TearDown() override {
    unsetenv("OG_CONFIG");
    unsetenv("OG_SBATCH_REPLICAS");
    unsetenv("OG_SBATCH_QUORUM");
  }
  test::TempDir dir_{"og-defaults-test"};
  std::string conf_;
};

TEST_F(JobDefaults, ConfigFileThenEnvironmentThenScriptThenCommandLine) {
  EXPECT_TRUE(job_option_defaults().empty());
  std::ofstream(conf_) << "url=http://x\nreplicas=3\nquorum=2\n";
  auto defaults = job_option_defaults();
  EXPECT_EQ(defaults, (std::vector<std::string>{"--replicas=3", "--quorum=2"}));
  auto plain = jobscripts::parse_job("#!/bin/sh\ntrue\n", "a.sh", {}, defaults);
  EXPECT_EQ(plain.spec.replicas, 3u);
  EXPECT_EQ(plain.spec.quorum, 2u);
  setenv("OG_SBATCH_REPLICAS", "5", 1);
  EXPECT_EQ(jobscripts::parse_job("#!/bin/sh\ntrue\n", "a.sh", {}, job_option_defaults()).spec.replicas, 5u);
  auto script_says = jobscripts::parse_job("#!/bin/sh\n#OG --replicas=2 --quorum=1\ntrue\n", "a.sh", {}, job_option_defaults());
  EXPECT_EQ(script_says.spec.replicas, 2u);
  EXPECT_EQ(script_says.spec.quorum, 1u);
  auto cli_says = jobscripts::parse_job("#!/bin/sh\n#OG --replicas=2\ntrue\n", "a.sh", {"--replicas=4"}, job_option_defaults());
  EXPECT_EQ(cli_says.spec.replicas, 4u);
  setenv("OG_SBATCH_REPLICAS", "zero", 1);
  try {
    jobscripts::parse_job("#!/bin/sh\ntrue\n", "a.sh", {}, job_option_defaults());
    FAIL() << "a bad default must be refused, naming where it came from";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("defaults"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace og
