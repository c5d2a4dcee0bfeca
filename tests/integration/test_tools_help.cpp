// Every tool answers --help and --version, and every command of README's tour names a tool
// that exists with options its --help lists: the README cannot drift from the binaries.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

const char* const kTools[] = {"og-sbatch", "og-squeue", "og-scancel", "og-sinfo",  "og-sacct",  "og-scontrol",
                              "og-sprio",  "og-wallet", "og-fetch",   "og-tail",   "og-verify", "og-keygen", "og-chain",
                              "og-schedd", "og-worker", "og-srun",    "og-jail",   "og-mesh",   "og-tls-ca", "og-data"};

CommandResult run_tool(Mesh& mesh, const std::string& tool, const std::string& flag) {
  return mesh.exec({tool, flag});
}

TEST(Tools, EachAnswersHelpAndVersion) {
  Mesh mesh;
  for (const char* tool : kTools) {
    auto help = run_tool(mesh, tool, "--help");
    EXPECT_EQ(help.exit_code, 0) << tool << ": " << help.err;
    std::string text = help.out;
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(text.find("usage"), std::string::npos) << tool << " --help: " << help.out;
    auto version = run_tool(mesh, tool, "--version");
    EXPECT_EQ(version.exit_code, 0) << tool << ": " << version.err;
    EXPECT_NE(version.out.find("OpenGrid"), std::string::npos) << tool << " --version: " << version.out;
  }
}

// The tour's commands: (tool, its options), read from README.md's "A short tour" block; a
// command ends at the end of its line, at && and at |.
std::vector<std::pair<std::string, std::vector<std::string>>> tour_commands() {
  std::istringstream block(readme_block("## A short tour"));
  std::vector<std::pair<std::string, std::vector<std::string>>> commands;
  for (std::string line; std::getline(block, line);) {
    line = line.substr(0, line.find(" #"));
    commands.push_back({"", {}});
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      while (!word.empty() && (word[0] == '"' || word[0] == '$' || word[0] == '(')) word.erase(0, 1);
      if (word.rfind("og-", 0) == 0) commands.push_back({word, {}});
      else if (word == "&&" || word == "|") commands.push_back({"", {}});
      else if (!commands.back().first.empty() && word.size() > 1 && word[0] == '-')
        commands.back().second.push_back(word.substr(0, word.find('=')));
    }
  }
  std::erase_if(commands, [](const auto& c) { return c.first.empty(); });
  return commands;
}

TEST(Tools, ReadmesTourUsesOnlyWhatTheToolsHave) {
  Mesh mesh;
  auto commands = tour_commands();
  ASSERT_GE(commands.size(), 20u) << "the tour was not found in README.md";
  std::set<std::string> tools(std::begin(kTools), std::end(kTools));
  for (const auto& [tool, options] : commands) {
    if (tool.empty()) continue;
    EXPECT_TRUE(tools.count(tool)) << "README's tour runs " << tool << ", which is not a tool here";
    auto help = run_tool(mesh, tool, "--help");
    for (const auto& option : options)
      EXPECT_NE(help.out.find(option), std::string::npos) << "README's tour gives " << tool << " " << option
                                                           << ", which its --help does not list";
  }
}

}  // namespace
}  // namespace og::test
