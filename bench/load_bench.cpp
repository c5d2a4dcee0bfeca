// og-bench-load: og-schedd under load, on loopback. N jobs are queued first (no provider
// yet), then W simulated workers (one thread and one keep-alive connection each, as many
// og-worker processes would hold) register, long-poll for leases and report each job done
// at once with an empty result, until the queue is drained. Reports request latencies per
// kind, the drain rate, and og-schedd's peak memory and CPU (read from /proc/PID).
//   og-bench-load --url URL --admin-token-file F --schedd-pid PID [--workers 100]
//                 [--jobs 10000] [--submitters 4] [--ca-file CA]
// og-schedd must accept unsigned jobs (--allow-unsigned): signing is not what is measured.
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/latencies.hpp"
#include "core/client_config.hpp"
#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/time_util.hpp"
#include "verify/manifest.hpp"

namespace {

using og::HttpClient;
using og::bench::Latencies;
using og::bench::timed;

struct Options {
  std::string url, admin_token, ca_file;
  pid_t schedd_pid = 0;
  int workers = 100, jobs = 10000, submitters = 4;
};

// og-schedd's resident memory now and at its peak (kB), and CPU seconds used so far.
struct ProcessSample {
  long rss_kb = 0, peak_kb = 0;
  double cpu_s = 0;
};

ProcessSample sample(pid_t pid) {
  ProcessSample s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::stol(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) s.peak_kb = std::stol(line.substr(6));
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  s.cpu_s = ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  return s;
}

std::string add_user(HttpClient& admin, const std::string& name, const std::string& role) {
  auto r = admin.call("POST", "/og/v1/users", {{"name", name}, {"role", role}});
  return r.at("token").get<std::string>();
}

void print_phase(const char* name, const ProcessSample& before, const ProcessSample& after, double wall_s) {
  double cpu = after.cpu_s - before.cpu_s;
  std::printf("  og-schedd during %-10s CPU %.2f s over %.2f s wall (%.0f%% of one core); RSS %.1f MiB, peak %.1f MiB\n",
              name, cpu, wall_s, 100.0 * cpu / wall_s, static_cast<double>(after.rss_kb) / 1024.0,
              static_cast<double>(after.peak_kb) / 1024.0);
}

int run(const Options& o) {
  HttpClient admin(o.url, o.admin_token, o.ca_file);
  const std::string run_id = std::to_string(og::monotonic_us());
  std::string user_token = add_user(admin, "load-" + run_id, "user");
  HttpClient(o.url, user_token, o.ca_file).call("POST", "/og/v1/wallet/deposit", {{"amount", "100000"}});
  std::vector<std::string> worker_tokens;
  for (int i = 0; i < o.workers; ++i) {
    worker_tokens.push_back(add_user(admin, "lw" + std::to_string(i) + "-" + run_id, "worker"));
    HttpClient(o.url, worker_tokens.back(), o.ca_file).call("POST", "/og/v1/wallet/deposit", {{"amount", "100"}});
  }
  ProcessSample start = sample(o.schedd_pid);
  std::printf("og-bench-load: %d jobs, then %d workers; og-schedd pid %d at RSS %.1f MiB\n", o.jobs, o.workers,
              o.schedd_pid, static_cast<double>(start.rss_kb) / 1024.0);

  // Phase 1: queue every job while no provider is there.
  Latencies submit;
  int64_t t0 = og::monotonic_us();
  {
    std::vector<std::thread> threads;
    std::atomic<int> next{0};
    for (int t = 0; t < o.submitters; ++t)
      threads.emplace_back([&] {
        HttpClient c(o.url, user_token, o.ca_file);
        nlohmann::json body = {{"job", {{"name", "load"}, {"script", "#!/bin/bash\ntrue\n"}, {"script_name", "load.sh"},
                                        {"replicas", 1}, {"time_limit_s", 600}}}};
        while (next++ < o.jobs) timed(submit, [&] { return c.call("POST", "/og/v1/jobs", body); });
      });
    for (auto& t : threads) t.join();
  }
  double queue_s = static_cast<double>(og::monotonic_us() - t0) / 1e6;
  ProcessSample queued = sample(o.schedd_pid);

  // With the queue full: what og-squeue, og-sinfo and a Prometheus scrape cost.
  Latencies list_all, list_newest, list_pending, metrics;
  {
    HttpClient c(o.url, user_token, o.ca_file);
    for (int i = 0; i < 5; ++i) {
      auto all = timed(list_all, [&] { return c.call("GET", "/og/v1/jobs"); });
      if (all["jobs"].size() < static_cast<size_t>(o.jobs)) throw std::runtime_error("jobs missing from the queue");
      timed(list_newest, [&] { return c.call("GET", "/og/v1/jobs?newest=500"); });  // the dashboard's queue page
      timed(list_pending, [&] { return c.call("GET", "/og/v1/jobs?state=PENDING&user=nobody"); });
      timed(metrics, [&] { return admin.request("GET", "/metrics"); });
    }
  }

  // Phase 2: the workers drain the queue.
  Latencies poll, complete;
  std::atomic<int> done{0};
  std::atomic<bool> failed{false};
  ProcessSample before_drain = sample(o.schedd_pid);
  t0 = og::monotonic_us();
  {
    nlohmann::json empty_manifest = {{"version", 1}, {"files", nlohmann::json::array()}, {"root", og::merkle_root({})}};
    std::vector<std::thread> threads;
    for (int w = 0; w < o.workers; ++w)
      threads.emplace_back([&, w] {
        try {
          HttpClient c(o.url, worker_tokens[w], o.ca_file);
          std::string name = "lw" + std::to_string(w) + "-" + run_id;
          auto registered = c.call("PUT", "/og/v1/partitions/" + name,
                                   {{"cpus", 4}, {"memory_mb", 16384}, {"price_micros", 0}, {"isolation", "none"}});
          uint64_t instance = registered["partitions"][0]["instance"];  // this registration's
          while (done < o.jobs && !failed) {
            auto r = timed(poll, [&] {
              return c.call("POST", "/og/v1/partitions/" + name + "/poll",
                            {{"running", nlohmann::json::array()}, {"wait_ms", 1000}, {"instance", instance}}, 10000);
            });
            for (const auto& lease : r["leases"]) {
              timed(complete, [&] {
                return c.call("POST", "/og/v1/leases/" + std::to_string(lease["lease_id"].get<uint64_t>()) + "/complete",
                              {{"outcome", "COMPLETED"}, {"exit_code", 0}, {"manifest", empty_manifest}});
              });
              ++done;
            }
          }
        } catch (const std::exception& e) {
          std::cerr << "og-bench-load: worker " << w << ": " << e.what() << "\n";
          failed = true;
        }
      });
    for (auto& t : threads) t.join();
  }
  double drain_s = static_cast<double>(og::monotonic_us() - t0) / 1e6;
  ProcessSample drained = sample(o.schedd_pid);
  if (failed) return 1;
  auto finished = HttpClient(o.url, user_token, o.ca_file).call("GET", "/og/v1/jobs?state=COMPLETED");
  if (finished["jobs"].size() != static_cast<size_t>(o.jobs)) {
    std::cerr << "og-bench-load: " << finished["jobs"].size() << " of " << o.jobs << " jobs COMPLETED\n";
    return 1;
  }

  std::printf("queue: %d jobs in %.2f s (%.0f submissions/s over %d clients)\n", o.jobs, queue_s, o.jobs / queue_s,
              o.submitters);
  submit.print("POST /og/v1/jobs");
  print_phase("queueing", start, queued, queue_s);
  std::printf("with %d jobs queued:\n", o.jobs);
  list_all.print("GET /og/v1/jobs (all)");
  list_newest.print("GET /og/v1/jobs?newest=500");
  list_pending.print("GET /og/v1/jobs (filtered)");
  metrics.print("GET /metrics");
  std::printf("drain: %d jobs by %d workers in %.2f s (%.0f jobs/s), all COMPLETED\n", o.jobs, o.workers, drain_s,
              o.jobs / drain_s);
  poll.print("POST .../poll (long poll)");
  complete.print("POST .../complete");
  print_phase("draining", before_drain, drained, drain_s);
  std::printf("og-schedd peak RSS over the run: %.1f MiB\n", static_cast<double>(drained.peak_kb) / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string token_file;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw og::UsageError(args[i] + " needs a value");
        return args[++i];
      };
      if (args[i] == "--url") o.url = value();
      else if (args[i] == "--admin-token-file") token_file = value();
      else if (args[i] == "--ca-file") o.ca_file = value();
      else if (args[i] == "--schedd-pid") o.schedd_pid = static_cast<pid_t>(std::stol(value()));
      else if (args[i] == "--workers") o.workers = std::stoi(value());
      else if (args[i] == "--jobs") o.jobs = std::stoi(value());
      else if (args[i] == "--submitters") o.submitters = std::stoi(value());
      else throw og::UsageError("unknown option " + args[i]);
    }
    if (o.url.empty() || token_file.empty() || o.schedd_pid <= 0)
      throw og::UsageError("usage: og-bench-load --url URL --admin-token-file F --schedd-pid PID [--workers N] [--jobs N]");
    o.admin_token = og::read_token_file(token_file);
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "og-bench-load: " << e.what() << "\n";
    return 2;
  }
}
