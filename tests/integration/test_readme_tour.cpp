// README.md's tour, run as written: its code block, taken from the file, in bash with every
// command checked, on a fresh mesh of its own (its /tmp paths moved into the test's
// directory), from the repository's root as the README says.
#include <gtest/gtest.h>

#include "core/process.hpp"
#include "tests/integration/mesh.hpp"

namespace og::test {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

TEST(Readme, TheTourRunsAsWritten) {
  Mesh mesh;  // only for its directory: the tour starts its own mesh
  std::string tour = readme_block("## A short tour");
  ASSERT_NE(tour.find("og-mesh up"), std::string::npos);
  tour = replace_all(replace_all(tour, "/tmp/mesh", mesh.dir() + "/mesh"), "/tmp/tour", mesh.dir() + "/tour");
  // Whatever happens, the tour's mesh is stopped (by the PIDs it recorded).
  std::string script = "set -eo pipefail\ntrap '" + bin_path("og-mesh") + " down --dir " + mesh.dir() +
                       "/mesh >/dev/null 2>&1 || true' EXIT\n" + tour;
  auto result = mesh.exec({"/usr/bin/timeout", "300", "/bin/bash", "-c", script}, {"USER=tourist"}, source_path(""));
  ASSERT_EQ(result.exit_code, 0) << "the tour stopped; stdout:\n" << result.out << "\nstderr:\n" << result.err;
  // What the tour's lines promise, seen in what they printed.
  EXPECT_NE(result.out.find("counted 3 words"), std::string::npos) << "og-tail -f: " << result.out;
  EXPECT_NE(result.out.find("COMPLETED"), std::string::npos) << result.out;
  EXPECT_EQ(read_file(mesh.dir() + "/tour/out/count.txt"), "3\n");
  EXPECT_NE(read_file(mesh.dir() + "/tour/jobs.json").find("\"job_state\""), std::string::npos);
  EXPECT_NE(result.err.find("og-mesh: og-schedd at"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace og::test
