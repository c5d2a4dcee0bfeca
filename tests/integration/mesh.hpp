// Test harness: real og-schedd and og-worker processes on ephemeral loopback ports, in a
// temporary directory, stopped by PID at the end of each test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http_client.hpp"

namespace og::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool await(const std::function<bool()>& condition,
           std::chrono::milliseconds timeout = std::chrono::seconds(20));

class Mesh {
 public:
  Mesh();   // creates the temporary directory
  ~Mesh();  // kills everything it started and removes the directory

  // Starts og-schedd (again, on the same state and port if it ran before).
  void start_schedd(const std::vector<std::string>& extra_args = {});
  void kill_schedd(int signal = 9);
  // Posts `job_body` as alice again and again, and kills og-schedd (kill -9) once at least
  // `count` were acknowledged; returns the ids acknowledged (a job whose answer the kill
  // cut off may or may not exist afterwards).
  std::vector<uint64_t> kill_schedd_among_submissions(const nlohmann::json& job_body, size_t count);
  // Adds a worker credential and starts og-worker with `cpus` CPUs; returns its name.
  // Naming an earlier worker restarts it with the same identity and directory.
  std::string start_worker(uint32_t cpus = 2, const std::vector<std::string>& extra_args = {},
                           std::string name = "");
  void kill_worker(const std::string& name, int signal = 9);
  // Waits until `count` partitions are UP.
  void await_workers(size_t count);

  // A credential for a user (created on first use).
  std::string token(const std::string& user, const std::string& role = "user");
  HttpClient client(const std::string& user = "alice");
  nlohmann::json job(uint64_t id, const std::string& user = "alice");
  // Waits (server-side long poll) until the job has finished; returns its view.
  nlohmann::json wait_job(uint64_t id, const std::string& user = "alice");
  // Waits for job `id`, expects it to end in `state`, fetches its result into `dir`
  // (og-fetch -D) and returns its standard output.
  std::string finished_output(uint64_t id, const std::string& dir, const std::string& state = "COMPLETED");
  bool await_state(uint64_t id, const std::string& state, const std::string& user = "alice",
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // A job completes at quorum; waits until `count` of its replicas have reported (DONE)
  // and returns its view then (check replica_leases: on timeout fewer are DONE).
  nlohmann::json await_replicas_done(uint64_t id, size_t count, const std::string& user = "alice");

  // Runs a CLI tool from build/bin with OG_SCHEDD_URL and a user's credential set.
  CommandResult run(const std::vector<std::string>& argv, const std::string& user = "alice",
                    const std::string& cwd = "");
  // Runs any program (a build/bin tool, or an absolute path) with only PATH and `env`
  // set: no credentials, no og-schedd needed.
  CommandResult exec(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                     const std::string& cwd = "");
  std::string write_script(const std::string& name, const std::string& text);
  // og-sbatch --parsable ARGS... in cwd; the job id, or std::runtime_error with its stderr.
  uint64_t sbatch(const std::vector<std::string>& args, const std::string& cwd = "", const std::string& user = "alice");

  // Many tests post jobs to the API directly, unsigned: og-schedd and og-worker accept
  // those unless a test sets this to false before starting them (signing tests do).
  bool allow_unsigned = true;
  // Workers start as a provider would with one command: og-worker join URL ….
  bool join_workers = false;
  // New credentials get test money (1000, a worker 100) where og-schedd keeps a ledger.
  bool fund_new_users = true;
  // Daemons log warnings only; tests whose failures need the whole story turn this off.
  bool quiet = true;
  // A terminal (a pty's slave path): workers started while it is set hold it as their
  // controlling terminal, as a worker started from an operator's shell does.
  std::string worker_terminal;
  // HTTPS: set before start_schedd to serve with this certificate and key; clients, workers
  // and CLI runs then trust tls_ca_file.
  std::string tls_cert_file, tls_key_file, tls_ca_file;

  const std::string& dir() const { return dir_; }
  const std::string& url() const { return url_; }
  uint16_t port() const { return port_; }

 private:
  std::string add_user(const std::string& name, const std::string& role);

  std::string dir_;
  std::string url_;
  uint16_t port_ = 0;
  pid_t schedd_ = 0;
  std::vector<std::string> schedd_args_;
  std::map<std::string, pid_t> workers_;
  std::map<std::string, std::string> tokens_;
  int next_worker_ = 1;
};

std::string bin_path(const std::string& tool);
std::string source_path(const std::string& relative);
std::string read_file(const std::string& path);
// The first ``` block after the README.md heading that starts with `heading`, without its fences.
std::string readme_block(const std::string& heading);
// Every process's command line (NULs as spaces) with its pid. A process that ends while
// /proc is read is left out, never an error: processes come and go during a test.
std::vector<std::pair<pid_t, std::string>> command_lines();
// The last LINES lines of a file (all of it when shorter).
std::string tail_of(const std::string& path, size_t lines);

}  // namespace og::test
