// og-bench-heartbeat: do workers' heartbeats — their polls — stay fast while og-schedd
// does slow work? W simulated workers poll every 100 ms (one thread and connection
// each); after an idle phase, og-schedd verifies a two-replica --verify=fuzzy job whose
// replicas each produced a large HDF5 file, while og-sacct lists every finished job.
// Prints poll latency p50/p99/max for both phases.
//   og-bench-heartbeat seed DB JOBS
//       og-schedd stopped: copies its newest finished job until JOBS jobs have finished
//   og-bench-heartbeat run --url URL --admin-token-file F --bin-dir DIR [--workers 100]
//       [--output-mb 1024] [--idle-s 5] [--work-dir DIR]
// og-schedd must accept unsigned jobs (--allow-unsigned) and uploads of the output size.
#include <hdf5.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/latencies.hpp"
#include "core/http_client.hpp"
#include "core/sha256.hpp"
#include "core/sqlite.hpp"
#include "core/time_util.hpp"
#include "verify/manifest.hpp"

namespace {

using og::HttpClient;
using og::bench::Latencies;
using og::bench::timed;
using nlohmann::json;

int seed(const std::string& db_path, int64_t jobs) {
  og::Database db(db_path);
  auto count = db.prepare("SELECT COUNT(*) FROM jobs WHERE end_us > 0");
  count->step();
  int64_t have = count->column_int64(0);
  auto txn = og::Transaction(db);
  // The columns of the newest finished job, id left to SQLite.
  auto columns = db.prepare("SELECT group_concat(name, ', ') FROM pragma_table_info('jobs') WHERE name != 'id'");
  columns->step();
  std::string cols = columns->column_text(0);
  auto newest = db.prepare("SELECT MAX(id) FROM jobs WHERE end_us > 0");
  if (!newest->step() || newest->column_int64(0) == 0) throw std::runtime_error("no finished job to copy");
  auto copy = db.prepare("INSERT INTO jobs (" + cols + ") SELECT " + cols + " FROM jobs WHERE id = ?1");
  const int64_t source = newest->column_int64(0);
  for (int64_t i = have; i < jobs; ++i) copy->bind(1, source).run();
  // History: ended an hour ago and paid for, as og-sacct's jobs are; og-schedd keeps in
  // memory only what is unfinished, unpaid or ended within --min-job-age.
  db.exec("UPDATE jobs SET settled = 1, submit_us = submit_us - 3600000000, start_us = start_us - 3600000000, "
          "end_us = end_us - 3600000000 WHERE end_us > 0");
  txn.commit();
  std::printf("og-bench-heartbeat: %lld finished jobs in %s\n", static_cast<long long>(std::max(have, jobs)),
              db_path.c_str());
  return 0;
}

// An HDF5 file of about `mb` MiB: one dataset of doubles; `last` is its final value.
std::string hdf5_output(const std::string& path, size_t mb, double last) {
  const hsize_t n = mb * (1 << 20) / sizeof(double);
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t set = H5Dcreate2(file, "weights", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t chunk = 1 << 20;
  std::vector<double> values(chunk);
  for (hsize_t at = 0; at < n; at += chunk) {
    hsize_t count = std::min(chunk, n - at);
    for (hsize_t i = 0; i < count; ++i) values[i] = static_cast<double>(at + i) * 1e-3;
    if (at + count == n) values[count - 1] = last;
    hid_t memory = H5Screate_simple(1, &count, nullptr);
    H5Sselect_hyperslab(space, H5S_SELECT_SET, &at, nullptr, &count, nullptr);
    H5Dwrite(set, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, values.data());
    H5Sclose(memory);
  }
  H5Dclose(set);
  H5Sclose(space);
  H5Fclose(file);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct Options {
  std::string url, admin_token, bin_dir, work_dir = "/tmp";
  int workers = 100;
  size_t output_mb = 1024;
  int idle_s = 5;
};

std::string add_user(HttpClient& admin, const std::string& name, const std::string& role) {
  return admin.call("POST", "/og/v1/users", {{"name", name}, {"role", role}}).at("token").get<std::string>();
}

// A partition of this credential's, registered; returns its registration instance.
uint64_t offer(HttpClient& c, const std::string& name, json features = json::array()) {
  c.call("POST", "/og/v1/wallet/deposit", {{"amount", "100"}});  // its bond
  auto r = c.call("PUT", "/og/v1/partitions/" + name,
                  {{"cpus", 2}, {"memory_mb", 4096}, {"price_micros", 0}, {"features", features}});
  return r["partitions"][0]["instance"];
}

int run(const Options& o) {
  HttpClient admin(o.url, o.admin_token);
  const std::string id = std::to_string(og::monotonic_us() % 1000000);
  std::string user_token = add_user(admin, "hb-user-" + id, "user");
  HttpClient user(o.url, user_token);
  user.call("POST", "/og/v1/wallet/deposit", {{"amount", "1000"}});

  std::printf("og-bench-heartbeat: writing two HDF5 outputs of %zu MiB …\n", o.output_mb);
  std::fflush(stdout);
  // Equal but for the last value, within the tolerance: the comparison reads everything.
  std::string outputs[2] = {hdf5_output(o.work_dir + "/a.h5", o.output_mb, 1.0),
                            hdf5_output(o.work_dir + "/b.h5", o.output_mb, 1.0 + 1e-9)};
  std::string digests[2] = {og::sha256_hex(outputs[0]), og::sha256_hex(outputs[1])};

  // The simulated workers: each polls (wait 0) every 100 ms and times the answer.
  std::atomic<int> phase{0};  // 0 idle, 1 busy, 2 stop
  Latencies polls[2];
  std::atomic<int> failures{0};
  std::string provider_tokens[2];  // made here: one client is not shared between threads
  for (int v = 0; v < 2; ++v) provider_tokens[v] = add_user(admin, "hb-v" + std::to_string(v) + "-" + id, "worker");
  std::atomic<bool> verified{false};
  std::atomic<int> listings{0};
  Latencies sacct;
  std::vector<std::thread> workers, providers, lister;
  // Whatever happens, every thread is stopped and joined before the function returns.
  struct JoinAll {
    std::atomic<int>& phase;
    std::atomic<bool>& verified;
    std::vector<std::thread>* groups[3];
    ~JoinAll() {
      verified = true;
      phase = 2;
      for (auto* group : groups)
        for (auto& t : *group)
          if (t.joinable()) t.join();
    }
  } join_all{phase, verified, {&providers, &lister, &workers}};
  for (int w = 0; w < o.workers; ++w) {
    std::string token = add_user(admin, "hb-w" + std::to_string(w) + "-" + id, "worker");
    workers.emplace_back([&, w, token] {
      HttpClient c(o.url, token);
      std::string name = "hb" + std::to_string(w) + "-" + id;
      try {
        uint64_t instance = offer(c, name);
        while (phase < 2) {
          int p = phase;
          timed(polls[p], [&] {
            return c.call("POST", "/og/v1/partitions/" + name + "/poll",
                          {{"running", json::array()}, {"wait_ms", 0}, {"instance", instance}}, 120000);
          });
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      } catch (const std::exception& e) {
        std::cerr << "og-bench-heartbeat: worker " << w << ": " << e.what() << "\n";
        ++failures;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(o.idle_s));

  // Busy: the fuzzy job on two providers of its own, and og-sacct over every finished job.
  phase = 1;
  int64_t t0 = og::monotonic_us();
  json body = {{"job",
                {{"name", "fuzzy"}, {"script", "#!/bin/bash\ntrue\n"}, {"script_name", "fuzzy.sh"}, {"replicas", 2},
                 {"constraint", "fuzzy-" + id}, {"verify", "fuzzy:1e-6"}, {"time_limit_s", 600}}}};
  uint64_t job = user.call("POST", "/og/v1/jobs", body)["job_id"];
  for (int v = 0; v < 2; ++v)
    providers.emplace_back([&, v] {
      HttpClient c(o.url, provider_tokens[v]);
      std::string name = "hbv" + std::to_string(v) + "-" + id;
      try {
        uint64_t instance = offer(c, name, json::array({"fuzzy-" + id}));
        json leases;
        while (leases.empty())
          leases = c.call("POST", "/og/v1/partitions/" + name + "/poll",
                          {{"running", json::array()}, {"wait_ms", 1000}, {"instance", instance}}, 120000)["leases"];
        std::string lease = std::to_string(leases[0]["lease_id"].get<uint64_t>());
        // As og-worker does, it keeps polling — listing the lease it runs — while it uploads.
        std::atomic<bool> reported{false};
        std::thread heartbeat([&] {
          try {
            HttpClient beat(o.url, provider_tokens[v]);
            while (!reported) {
              auto answer = beat.call("POST", "/og/v1/partitions/" + name + "/poll",
                                      {{"running", json::array({std::stoull(lease)})}, {"wait_ms", 1000}, {"instance", instance}},
                                      120000);
              for (const auto& gone : answer["cancel"])
                if (std::to_string(gone.get<uint64_t>()) == lease)
                  throw std::runtime_error("og-schedd wrote lease " + lease + " off (its heartbeats came too late)");
            }
          } catch (const std::exception& e) {
            std::cerr << "og-bench-heartbeat: provider " << v << " heartbeat: " << e.what() << "\n";
            ++failures;
          }
        });
        struct Stop {
          std::atomic<bool>& flag;
          std::thread& t;
          ~Stop() { flag = true; t.join(); }
        } stop_heartbeat{reported, heartbeat};
        auto put = c.request("PUT", "/og/v1/artifacts/" + digests[v] + "?lease=" + lease, outputs[v], 300000,
                             "application/octet-stream");
        if (put.status != 201) throw std::runtime_error("upload: " + std::to_string(put.status) + " " + put.body);
        std::vector<og::ManifestEntry> files = {{"out.h5", outputs[v].size(), digests[v]}};
        c.call("POST", "/og/v1/leases/" + lease + "/complete",
               {{"outcome", "COMPLETED"}, {"exit_code", 0}, {"manifest", to_json(og::Manifest{files, og::merkle_root(files)})}},
               300000);
        reported = true;
        while (phase < 2)  // a provider keeps polling, as og-worker does
          c.call("POST", "/og/v1/partitions/" + name + "/poll",
                 {{"running", json::array()}, {"wait_ms", 1000}, {"instance", instance}}, 120000);
      } catch (const std::exception& e) {
        std::cerr << "og-bench-heartbeat: provider " << v << ": " << e.what() << "\n";
        ++failures;
      }
    });
  lister.emplace_back([&] {
    std::string command = "OG_SCHEDD_URL=" + o.url + " OG_TOKEN=" + user_token + " " + o.bin_dir +
                          "/og-sacct -S 2000-01-01 >/dev/null 2>&1";
    for (int i = 0; !verified || i < 2; ++i) {
      if (timed(sacct, [&] { return std::system(command.c_str()); }) != 0) {
        std::cerr << "og-bench-heartbeat: og-sacct failed: " << command << "\n";
        ++failures;
        return;
      }
      ++listings;
    }
  });
  json state = {{"jobs", {{{"job_state", "UNKNOWN"}}}}};
  try {  // threads are running: whatever happens, they are joined below
    for (int i = 0; i < 10 && failures == 0 && (i == 0 || state["jobs"][0]["job_state"] == "RUNNING"); ++i)
      state = user.call("GET", "/og/v1/jobs/" + std::to_string(job) + "/wait?timeout_ms=60000", nullptr, 120000);
  } catch (const std::exception& e) {
    std::cerr << "og-bench-heartbeat: waiting for job " << job << ": " << e.what() << "\n";
    ++failures;
  }
  double busy_s = static_cast<double>(og::monotonic_us() - t0) / 1e6;
  verified = true;
  lister[0].join();
  phase = 2;
  for (auto& p : providers) p.join();
  for (auto& w : workers) w.join();

  std::printf("og-bench-heartbeat: %d workers; job %llu %s after %.1f s (two %zu MiB HDF5 outputs, fuzzy); "
              "og-sacct listed every finished job %d times (p50 %.2f s)\n",
              o.workers, static_cast<unsigned long long>(job), state["jobs"][0]["job_state"].get<std::string>().c_str(),
              busy_s, o.output_mb, listings.load(), sacct.at(0.5) / 1000.0);
  polls[0].print("poll, idle");
  polls[1].print("poll, during slow work");
  return failures > 0 || state["jobs"][0]["job_state"] != "COMPLETED" ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 3 && args[0] == "seed") return seed(args[1], std::stoll(args[2]));
    if (args.empty() || args[0] != "run") throw std::invalid_argument("seed DB JOBS, or run --url … (see the source)");
    Options o;
    for (size_t i = 1; i + 1 < args.size(); i += 2) {
      const std::string &flag = args[i], &value = args[i + 1];
      if (flag == "--url") o.url = value;
      else if (flag == "--admin-token-file") std::getline(std::ifstream(value), o.admin_token);
      else if (flag == "--bin-dir") o.bin_dir = value;
      else if (flag == "--workers") o.workers = std::stoi(value);
      else if (flag == "--output-mb") o.output_mb = std::stoul(value);
      else if (flag == "--idle-s") o.idle_s = std::stoi(value);
      else if (flag == "--work-dir") o.work_dir = value;
      else throw std::invalid_argument("unknown option " + flag);
    }
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "og-bench-heartbeat: " << e.what() << "\n";
    return 2;
  }
}
