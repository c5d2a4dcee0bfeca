// og-bench: measures a running mesh (OG_SCHEDD_URL / OG_TOKEN_FILE, as og-mesh prints).
//   og-bench latency N     idle submit → first line of the script running, N jobs one by one
//   og-bench throughput N  N trivial jobs submitted at once, until the last has finished
//   og-bench submit N C    N submissions over C keep-alive API clients (held, then cancelled)
// Jobs are signed as og-sbatch signs them; OG_BENCH_UNSIGNED=1 sends them unsigned (for an
// og-schedd started with --allow-unsigned), to measure what signatures cost.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench/percentile.hpp"
#include "cli/signed_submission.hpp"
#include "core/client_config.hpp"
#include "core/http_client.hpp"
#include "core/signature.hpp"
#include "core/time_util.hpp"
#include "verify/manifest.hpp"

namespace {

using og::HttpClient;

// A job as og-sbatch would send it: signed with this user's key (created on first use),
// so og-schedd's and the workers' signature checks are part of what is measured.
nlohmann::json job(HttpClient& c, const std::string& script, bool hold = false, uint32_t replicas = 1) {
  og::JobSpec spec;
  spec.name = "bench";
  spec.script = script;
  spec.script_name = "bench.sh";
  spec.hold = hold;
  spec.replicas = replicas;
  nlohmann::json body = nlohmann::json::object();
  if (const char* u = std::getenv("OG_BENCH_UNSIGNED"); u && std::string(u) == "1")
    body["job"] = og::to_json(spec);
  else
    og::cli::prepare_signed_submission(c, spec, {}, body, false);
  return body;
}

using og::bench::percentile;

void wait_finished(HttpClient& c, uint64_t id) {
  for (;;) {
    auto j = c.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/wait?timeout_ms=30000", nullptr, 45000)["jobs"][0];
    std::string s = j["job_state"];
    if (s != "PENDING" && s != "RUNNING" && s != "COMPLETING") {
      if (s != "COMPLETED") throw std::runtime_error("job " + std::to_string(id) + " ended " + s);
      return;
    }
  }
}

int latency(const og::ClientConfig& cfg, int n) {
  HttpClient c(cfg.url, cfg.token, cfg.ca_file);
  // bash's $EPOCHREALTIME needs no fork: the first thing the script does is stamp the time.
  auto body = job(c, "#!/bin/bash\necho $EPOCHREALTIME\n");
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    int64_t submitted = og::now_unix_us();
    uint64_t id = c.call("POST", "/og/v1/jobs", body)["job_id"];
    wait_finished(c, id);
    auto out = c.request("GET", "/og/v1/jobs/" + std::to_string(id) + "/files/slurm-" + std::to_string(id) + ".out");
    double started_s = std::stod(out.body);
    ms.push_back((started_s * 1e6 - static_cast<double>(submitted)) / 1000.0);
  }
  std::printf("latency jobs=%d median_ms=%.2f p99_ms=%.2f min_ms=%.2f max_ms=%.2f\n", n,
              percentile(ms, 0.5), percentile(ms, 0.99), *std::min_element(ms.begin(), ms.end()),
              *std::max_element(ms.begin(), ms.end()));
  return 0;
}

int throughput(const og::ClientConfig& cfg, int n, int replicas) {
  HttpClient c(cfg.url, cfg.token, cfg.ca_file);
  auto body = job(c, "#!/bin/sh\n:\n", false, replicas);  // each on its own provider; the quorum decides
  std::vector<uint64_t> ids;
  int64_t start = og::monotonic_us();
  for (int i = 0; i < n; ++i) ids.push_back(c.call("POST", "/og/v1/jobs", body)["job_id"]);
  int64_t submitted = og::monotonic_us();
  for (uint64_t id : ids) wait_finished(c, id);
  double seconds = static_cast<double>(og::monotonic_us() - start) / 1e6;
  std::printf("throughput jobs=%d replicas=%d seconds=%.2f jobs_per_s=%.1f submit_phase_s=%.2f\n", n, replicas,
              seconds, n / seconds, static_cast<double>(submitted - start) / 1e6);
  return 0;
}

int submit(const og::ClientConfig& cfg, int n, int clients) {
  std::vector<std::vector<uint64_t>> ids(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  std::vector<std::string> errors(static_cast<size_t>(clients));
  HttpClient signer(cfg.url, cfg.token, cfg.ca_file);
  auto body = job(signer, "#!/bin/sh\n:\n", /*hold=*/true);
  int64_t start = og::monotonic_us();
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      try {
        HttpClient c(cfg.url, cfg.token, cfg.ca_file);
        for (int i = t; i < n; i += clients)
          ids[static_cast<size_t>(t)].push_back(c.call("POST", "/og/v1/jobs", body)["job_id"]);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(t)] = e.what();  // an exception may not leave a thread
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& e : errors)
    if (!e.empty()) throw std::runtime_error(e);
  double seconds = static_cast<double>(og::monotonic_us() - start) / 1e6;
  std::printf("submit jobs=%d clients=%d seconds=%.2f submissions_per_s=%.0f\n", n, clients, seconds, n / seconds);
  std::fflush(stdout);  // read before the clean-up below (bench/payments.sh times og-schedd's CPU by it)
  HttpClient c(cfg.url, cfg.token, cfg.ca_file);  // clean up: the held jobs never run
  for (const auto& list : ids)
    for (uint64_t id : list) c.call("DELETE", "/og/v1/jobs/" + std::to_string(id));
  return 0;
}

// The manifest of a directory (what a worker computes for every replica), timed.
int hash_dir(const std::string& dir) {
  int64_t start = og::monotonic_us();
  og::Manifest m = og::compute_manifest(dir, {});
  double seconds = static_cast<double>(og::monotonic_us() - start) / 1e6;
  uint64_t bytes = 0;
  for (const auto& f : m.files) bytes += f.size;
  std::printf("hash files=%zu bytes=%llu seconds=%.3f mib_per_s=%.0f root=%s\n", m.files.size(),
              static_cast<unsigned long long>(bytes), seconds, bytes / 1048576.0 / seconds, m.root.c_str());
  return 0;
}

// og-sbatch remembers that it registered the key with an og-schedd at an address; a new
// mesh may listen where an older one did, so the benchmark makes sure of it each time.
void register_key(const og::ClientConfig& cfg) {
  if (const char* u = std::getenv("OG_BENCH_UNSIGNED"); u && std::string(u) == "1") return;
  HttpClient c(cfg.url, cfg.token, cfg.ca_file);
  og::cli::register_key(c, og::load_or_create_key(og::key_dir()), og::key_dir());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: og-bench latency N | throughput N [REPLICAS] | submit N CLIENTS | hash DIR\n";
    return 2;
  }
  try {
    std::string what = argv[1];
    if (what == "hash") return hash_dir(argv[2]);
    auto cfg = og::resolve_client_config("", "");
    int n = std::stoi(argv[2]);
    register_key(cfg);
    if (what == "latency") return latency(cfg, n);
    if (what == "throughput") return throughput(cfg, n, argc > 3 ? std::stoi(argv[3]) : 1);
    if (what == "submit") return submit(cfg, n, argc > 3 ? std::stoi(argv[3]) : 1);
    std::cerr << "og-bench: unknown benchmark " << what << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "og-bench: " << e.what() << "\n";
    return 1;
  }
}
