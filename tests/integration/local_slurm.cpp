#include "tests/integration/local_slurm.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

namespace fs = std::filesystem;

// A shell command's standard output (and error, where it redirects it), and its status.
std::string output_of(const std::string& command, int* status = nullptr) {
  std::unique_ptr<FILE, int (*)(FILE*)> out(::popen(command.c_str(), "r"), ::pclose);
  std::string text;
  char buf[4096];
  while (out && std::fgets(buf, sizeof buf, out.get())) text += buf;
  int code = out ? ::pclose(out.release()) : -1;
  if (status) *status = code;
  return text;
}

}  // namespace

LocalSlurm::LocalSlurm() {
  if (::geteuid() != 0) {
    why_not = "slurmd needs root";
    return;
  }
  if (!fs::exists("/usr/sbin/slurmctld") || !fs::exists("/usr/sbin/slurmrestd") || !fs::exists("/usr/sbin/munged")) {
    why_not = "Slurm is not installed (apt-get install slurm-wlm slurmrestd munge)";
    return;
  }
  char templ[] = "/tmp/og-slurm-XXXXXX";
  dir = ::mkdtemp(templ) ? templ : "";
  int status = -1;
  std::string text = output_of(source_path("scripts/slurm-local.sh") + " start " + dir + " 4 2 2>&1", &status);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("export ", 0) != 0) continue;
    auto eq = line.find('=');
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
    env[line.substr(7, eq - 7)] = value;
  }
  if (status != 0 || !env.count("OG_SLURMRESTD_URL")) why_not = "Slurm did not start: " + text;
}

LocalSlurm::~LocalSlurm() {
  if (dir.empty()) return;
  std::string cmd = source_path("scripts/slurm-local.sh") + " stop " + dir + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) == 0 && !std::getenv("OG_TEST_KEEP")) fs::remove_all(dir);
}

std::string LocalSlurm::run(const std::string& command) const {
  return output_of("SLURM_CONF=" + env.at("SLURM_CONF") + " " + command + " 2>&1");
}

LocalSlurm& slurm() {  // one per test process: it takes about a second to start
  static LocalSlurm instance;
  return instance;
}

}  // namespace og::test
