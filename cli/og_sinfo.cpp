// og-sinfo: the partitions (providers) of the mesh, as sinfo shows partitions.
#include <cstdio>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/partition_fields.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/time_util.hpp"

namespace {

constexpr const char* kHelp = R"(usage: og-sinfo [OPTIONS]

  -p, --partition=NAME   only this partition
  -N, --Node             one line per node, as sinfo -N
  -s, --summarize        partition state summary, as sinfo -s (NODES(A/I/O/T))
  -l, --long             sinfo -l's columns
  -o, --format=FORMAT    columns by sinfo's letters: %P %a %l %D %t %T %N %c %C %F %m %G
                         %f %s, and %o (the provider who offers it), %i (the registries its
                         worker pulls images from, and how many images and data sets it holds)
  -h, --noheader         no header line
      --json             slurmrestd-shaped JSON: {"partitions":[...]}
      --url, --token-file
)";

// In [0, 1], 0.5 neutral: verified results and good scores raise it, errors and results
// proven wrong lower it; it fades back toward 0.5 over time.
std::string reputation(const nlohmann::json& p) {
  char text[16];
  std::snprintf(text, sizeof text, "%.3f", p.value("reputation", 0.5));
  return text;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s += std::string(width - s.size(), ' ');
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  return og::cli::run_command("og-sinfo", argc, argv, [&]() -> int {
    std::vector<std::string> args(argv + 1, argv + argc);
    og::cli::ListingOptions listing;
    std::string only, format;
    for (size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      if (listing.take(args, i, kHelp)) continue;
      if (og::cli::take_value(args, i, "--partition", "-p", only)) {}
      else if (og::cli::take_value(args, i, "--format", "-o", format)) {}
      else if (a == "-N" || a == "--Node") format = og::cli::kSinfoNodeFormat;
      else if (a == "-s" || a == "--summarize") format = og::cli::kSinfoSummaryFormat;
      else if (a == "-l" || a == "--long") format = og::cli::kSinfoLongFormat;
      else throw og::UsageError("unrecognized option " + a + " (see og-sinfo --help)");
    }
    auto answer = listing.conn.connect().call("GET", "/og/v1/partitions");
    if (!only.empty()) {
      nlohmann::json kept = nlohmann::json::array();
      for (const auto& p : answer["partitions"])
        if (p.value("name", "") == only) kept.push_back(p);
      answer["partitions"] = kept;
    }
    if (listing.json) {
      std::cout << answer.dump(2) << "\n";
      return 0;
    }
    if (!format.empty()) {
      if (format == og::cli::kSinfoLongFormat) std::cout << og::cli::clock_line(og::now_unix_s()) << "\n";
      if (listing.header) std::cout << og::cli::format_row(format, og::cli::partition_header) << "\n";
      for (const auto& p : answer["partitions"])
        std::cout << og::cli::format_row(format, [&](char c) { return og::cli::partition_field(p, c); }) << "\n";
      return 0;
    }
    if (listing.header)
      std::cout << "PARTITION       AVAIL  STATE  NODES  CPUS(A/T)  MEMORY(MB)  GPUS       PRICE/CPU-H  PRICE/GPU-H  "
                   "REPUTATION  ROLE       OWNER\n";
    for (const auto& p : answer["partitions"]) {
      std::string state = p.value("state", "");
      std::string gpus = std::to_string(p.value("gpus", 0));
      if (!p.value("gpu_type", "").empty()) gpus = p.value("gpu_type", "") + ":" + gpus;
      std::cout << pad(og::printable(p.value("name", "")), 16) << pad(state == "DOWN" ? "down" : "up", 7)
                << pad(state == "UP"        ? (p.value("cpus_allocated", 0) > 0 ? "mix" : "idle")
                       : state == "DRAIN"   ? "drain"
                       : state == "UNKNOWN" ? "unk"  // as Slurm shows a node not heard from since a restart
                                            : "down",
                       7)
                << pad(std::to_string(p.value("nodes", 1)), 7)  // a machine is one; a Slurm cluster its nodes
                << pad(std::to_string(p.value("cpus_allocated", 0)) + "/" +
                           std::to_string(p.value("cpus", 0)), 11)
                << pad(std::to_string(p.value("memory_mb", 0)), 12) << pad(gpus, 11)
                << pad(p.value("price_per_cpu_hour", ""), 13) << pad(p.value("price_per_gpu_hour", ""), 13)
                << pad(reputation(p), 12)
                << pad(p.value("validator", false) ? "validator" : "jobs", 11)  // og-worker --validator: scores, runs no jobs
                << og::printable(p.value("owner", "")) << "\n";
    }
    return 0;
  });
}
