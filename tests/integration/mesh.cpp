#include "tests/integration/mesh.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/process.hpp"

namespace og::test {

namespace fs = std::filesystem;

std::string bin_path(const std::string& tool) {
  return tool.starts_with("/") ? tool : std::string(OG_BIN_DIR) + "/" + tool;  // an absolute path: as it is
}
std::string source_path(const std::string& relative) {
  return std::string(OG_SOURCE_DIR) + "/" + relative;
}

std::vector<std::pair<pid_t, std::string>> command_lines() {
  std::vector<std::pair<pid_t, std::string>> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (const dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    int fd = ::open(("/proc/" + std::string(entry->d_name) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string cmd;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) cmd.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (n < 0) continue;  // it ended while we read
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    out.emplace_back(static_cast<pid_t>(pid), std::move(cmd));
  }
  ::closedir(proc);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail_of(const std::string& path, size_t lines) {
  std::istringstream in(read_file(path));
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += line + "\n";
  return out;
}

bool await(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

namespace {

void stop(pid_t pid, int signal) {
  if (pid <= 0) return;
  kill(pid, signal);
  waitpid(pid, nullptr, 0);
}

CommandResult run_and_capture(const SpawnOptions& base, const std::string& tmp_prefix) {
  // Files of its own: a test may run commands at once (one following a job while others act).
  static std::atomic<uint64_t> runs{0};
  SpawnOptions o = base;
  std::string prefix = tmp_prefix + "." + std::to_string(runs++);
  o.stdout_path = prefix + ".out";
  o.stderr_path = prefix + ".err";
  fs::remove(o.stdout_path);
  fs::remove(o.stderr_path);
  o.new_process_group = false;
  pid_t pid = spawn_process(o);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result{exit_code_from_wait_status(status), read_file(o.stdout_path), read_file(o.stderr_path)};
  fs::remove(o.stdout_path);
  fs::remove(o.stderr_path);
  return result;
}

}  // namespace

Mesh::Mesh() {
  char templ[] = "/tmp/og-test-XXXXXX";
  if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
}

Mesh::~Mesh() {
  for (auto& [name, pid] : workers_) stop(pid, SIGKILL);
  stop(schedd_, SIGKILL);
  // A failed test says what the daemons said: CI keeps no files, only the output.
  std::error_code ec;
  if (::testing::Test::HasFailure())
    for (fs::directory_iterator it(dir_, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->path().extension() == ".log")
        std::cerr << "--- last lines of " << it->path().filename().string() << "\n"
                  << tail_of(it->path().string(), 30);
  if (!std::getenv("OG_TEST_KEEP")) fs::remove_all(dir_, ec);  // keep to debug a failure
}

void Mesh::start_schedd(const std::vector<std::string>& extra_args) {
  if (!extra_args.empty() || schedd_args_.empty()) schedd_args_ = extra_args;
  std::string port_file = dir_ + "/schedd.port";
  fs::remove(port_file);
  SpawnOptions o;
  o.argv = {bin_path("og-schedd"), "--state", dir_ + "/schedd", "--listen",
            "127.0.0.1:" + std::to_string(port_), "--port-file", port_file};
  if (quiet) o.argv.push_back("--quiet");
  o.argv.insert(o.argv.end(), schedd_args_.begin(), schedd_args_.end());
  // Test money for the users and workers token() makes, unless a test sets its own.
  if (std::find(schedd_args_.begin(), schedd_args_.end(), "--faucet") == schedd_args_.end())
    o.argv.insert(o.argv.end(), {"--faucet", "100000"});
  if (allow_unsigned) o.argv.push_back("--allow-unsigned");
  if (!tls_cert_file.empty()) o.argv.insert(o.argv.end(), {"--tls-cert", tls_cert_file, "--tls-key", tls_key_file});
  o.stdout_path = o.stderr_path = dir_ + "/schedd.log";
  schedd_ = spawn_process(o);
  if (!await([&] { return fs::exists(port_file) && fs::file_size(port_file) > 0; }))
    throw std::runtime_error("og-schedd did not start: " + read_file(dir_ + "/schedd.log"));
  port_ = static_cast<uint16_t>(std::stoi(read_file(port_file)));
  url_ = (tls_cert_file.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") + std::to_string(port_);
}

std::vector<uint64_t> Mesh::kill_schedd_among_submissions(const nlohmann::json& job_body, size_t count) {
  std::vector<uint64_t> acknowledged;
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::thread submitter([&] {
    HttpClient c(url(), token("alice"), tls_ca_file);
    while (!stop) {
      try {
        uint64_t id = c.call("POST", "/og/v1/jobs", job_body)["job_id"];
        std::lock_guard lock(mu);
        acknowledged.push_back(id);
      } catch (const std::exception&) {  // not acknowledged: the daemon died before answering
      }
    }
  });
  bool enough = await([&] {
    std::lock_guard lock(mu);
    return acknowledged.size() >= count;
  });
  kill_schedd(9);
  stop = true;
  submitter.join();
  EXPECT_TRUE(enough) << "only " << acknowledged.size() << " submissions acknowledged before the kill";
  return acknowledged;
}

void Mesh::kill_schedd(int signal) {
  stop(schedd_, signal);
  schedd_ = 0;
}

std::string Mesh::add_user(const std::string& name, const std::string& role) {
  SpawnOptions o;
  o.argv = {bin_path("og-schedd"), "--state", dir_ + "/schedd", "--add-user", name, "--role", role};
  auto r = run_and_capture(o, dir_ + "/add-user");
  if (r.exit_code != 0) throw std::runtime_error("add-user failed: " + r.err);
  std::string token = r.out.substr(0, r.out.find('\n'));
  std::ofstream(dir_ + "/" + name + ".token") << token << "\n";
  return token;
}

std::string Mesh::token(const std::string& user, const std::string& role) {
  auto it = tokens_.find(user);
  if (it != tokens_.end()) return it->second;
  tokens_[user] = add_user(user, role);
  // Test money, when og-schedd is up with its ledger: users' jobs lock escrow, workers
  // post bonds.
  if (!url_.empty() && fund_new_users) {
    try {
      HttpClient(url_, tokens_[user], tls_ca_file).call("POST", "/og/v1/wallet/deposit",
                                            {{"amount", role == "worker" ? "100" : "1000"}});
    } catch (const ApiError&) {
      // payments off (--ledger none)
    }
  }
  return tokens_[user];
}

namespace {

// As an operator's shell starts a daemon: in a session whose controlling terminal is
// `tty`, with stdin on it (built here with fork, whatever spawn_process does).
pid_t spawn_with_terminal(const SpawnOptions& o, const std::string& tty) {
  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setsid();
    int in = ::open(tty.c_str(), O_RDWR);  // a session leader's first terminal becomes its own
    int out = ::open(o.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0) _exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string Mesh::start_worker(uint32_t cpus, const std::vector<std::string>& extra_args,
                               std::string name) {
  if (name.empty()) name = "worker-" + std::to_string(next_worker_++);
  token(name, "worker");
  SpawnOptions o;
  o.argv = {bin_path("og-worker"), "--url", url_, "--token-file", dir_ + "/" + name + ".token",
            "--name", name, "--dir", dir_ + "/" + name, "--cpus", std::to_string(cpus),
            "--kill-wait", "1"};
  if (join_workers) o.argv[1] = "join";  // og-worker join URL …
  if (quiet) o.argv.push_back("--quiet");
  o.argv.insert(o.argv.end(), extra_args.begin(), extra_args.end());
  // Most tests talk to their jobs through files in the test's directory, which a jail
  // hides: they run jobs uncontained unless they ask for a level (test_sandbox does).
  if (std::find(extra_args.begin(), extra_args.end(), "--isolation") == extra_args.end())
    o.argv.insert(o.argv.end(), {"--isolation", "none"});
  if (allow_unsigned) o.argv.push_back("--allow-unsigned");
  if (!tls_ca_file.empty()) o.argv.insert(o.argv.end(), {"--ca-file", tls_ca_file});
  o.stdout_path = o.stderr_path = dir_ + "/" + name + ".log";
  workers_[name] = worker_terminal.empty() ? spawn_process(o) : spawn_with_terminal(o, worker_terminal);
  return name;
}

void Mesh::kill_worker(const std::string& name, int signal) {
  stop(workers_.at(name), signal);
  workers_.erase(name);
}

void Mesh::await_workers(size_t count) {
  auto c = client();
  bool ok = await([&] {
    size_t up = 0;
    auto listed = c.call("GET", "/og/v1/partitions");  // must outlive the loop
    for (const auto& p : listed["partitions"])
      if (p["state"] == "UP") ++up;
    return up >= count;
  });
  if (!ok) throw std::runtime_error("workers did not register");
}

HttpClient Mesh::client(const std::string& user) { return HttpClient(url_, token(user), tls_ca_file); }

nlohmann::json Mesh::job(uint64_t id, const std::string& user) {
  return client(user).call("GET", "/og/v1/jobs/" + std::to_string(id))["jobs"][0];
}

nlohmann::json Mesh::wait_job(uint64_t id, const std::string& user) {
  auto c = client(user);
  nlohmann::json j;
  for (int i = 0; i < 4; ++i) {
    j = c.call("GET", "/og/v1/jobs/" + std::to_string(id) + "/wait?timeout_ms=15000", nullptr, 30000)["jobs"][0];
    std::string s = j["job_state"];
    if (s != "PENDING" && s != "RUNNING" && s != "COMPLETING") return j;
  }
  throw std::runtime_error("job " + std::to_string(id) + " did not finish in 60 s: " + j.dump());
}

std::string Mesh::finished_output(uint64_t id, const std::string& dir, const std::string& state) {
  auto job = wait_job(id);
  EXPECT_EQ(job["job_state"], state) << job.dump();
  auto fetch = run({"og-fetch", "-D", dir, std::to_string(id)});
  EXPECT_EQ(fetch.exit_code, 0) << fetch.err;
  return read_file(dir + "/slurm-" + std::to_string(id) + ".out");
}

bool Mesh::await_state(uint64_t id, const std::string& state, const std::string& user,
                       std::chrono::milliseconds timeout) {
  auto c = client(user);
  return await([&] {
    return c.call("GET", "/og/v1/jobs/" + std::to_string(id))["jobs"][0]["job_state"] == state;
  }, timeout);
}

CommandResult Mesh::run(const std::vector<std::string>& argv, const std::string& user,
                        const std::string& cwd) {
  token(user);
  SpawnOptions o;
  o.argv = argv;
  o.argv[0] = bin_path(argv[0]);
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + dir_,
                                  "OG_SCHEDD_URL=" + url_,
                                  "OG_TOKEN_FILE=" + dir_ + "/" + user + ".token",
                                  "OG_KEY_DIR=" + dir_ + "/keys-" + user};
  if (!tls_ca_file.empty()) env.push_back("OG_CA_FILE=" + tls_ca_file);
  o.env = env;
  o.cwd = cwd.empty() ? dir_ : cwd;
  return run_and_capture(o, dir_ + "/cmd");
}

nlohmann::json Mesh::await_replicas_done(uint64_t id, size_t count, const std::string& user) {
  nlohmann::json view;
  await([&] {
    view = job(id, user);
    size_t done = 0;
    for (const auto& lease : view["replica_leases"]) done += lease["state"] == "DONE";
    return done == count;
  });
  return view;
}

CommandResult Mesh::exec(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::string& cwd) {
  SpawnOptions o;
  o.argv = argv;
  o.argv[0] = bin_path(argv[0]);
  std::vector<std::string> all = {"PATH=/usr/bin:/bin", "HOME=" + dir_};
  all.insert(all.end(), env.begin(), env.end());
  o.env = all;
  o.cwd = cwd.empty() ? dir_ : cwd;
  return run_and_capture(o, dir_ + "/exec");
}

uint64_t Mesh::sbatch(const std::vector<std::string>& args, const std::string& cwd, const std::string& user) {
  std::vector<std::string> argv = {"og-sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, user, cwd);
  if (r.exit_code != 0) throw std::runtime_error("og-sbatch failed: " + r.err);
  return std::stoull(r.out);
}

std::string Mesh::write_script(const std::string& name, const std::string& text) {
  std::string path = dir_ + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string readme_block(const std::string& heading) {
  std::ifstream readme(source_path("README.md"));
  std::string block;
  bool found = false, inside = false;
  for (std::string line; std::getline(readme, line);) {
    if (!found) {
      found = line.rfind(heading, 0) == 0;
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      if (inside) return block;
      inside = true;
      continue;
    }
    if (inside) block += line + "\n";
  }
  throw std::runtime_error("README.md has no code block under " + heading);
}

}  // namespace og::test
