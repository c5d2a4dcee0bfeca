#include "worker/cgroup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/log.hpp"
#include "core/strings.hpp"

namespace og {
namespace {

const char* const kControllers[] = {"memory", "pids", "cpu", "freezer", "devices"};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Plain write(2): cgroup files report a refused value as the write's error.
bool write_text(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string controllers_of(const std::string& mount) { return read_text(mount + "/cgroup.controllers"); }

// "oom_kill N" in memory.events (v2) or memory.oom_control (v1).
uint64_t oom_kills(const std::string& text) {
  std::istringstream in(text);
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value)
    if (key == "oom_kill") return value;
  return 0;
}

void kill_listed(const std::string& procs_file) {
  std::istringstream in(read_text(procs_file));
  pid_t pid = 0;
  while (in >> pid) ::kill(pid, SIGKILL);
}

}  // namespace

CgroupLayout CgroupLayout::from_mounts(const std::string& mounts_text,
                                       std::string (*read_controllers)(const std::string&)) {
  CgroupLayout layout;
  std::istringstream lines(mounts_text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string device, dir, type, options;
    if (!(fields >> device >> dir >> type >> options)) continue;
    if (type == "cgroup2" && layout.unified.empty()) {
      layout.unified = dir;
      std::istringstream names(read_controllers(dir));
      for (std::string c; names >> c;) layout.unified_controllers.insert(c);
    } else if (type == "cgroup") {
      for (const auto& option : split_list(options, ','))
        for (const char* c : kControllers)
          if (option == c && !layout.v1.count(c)) layout.v1[c] = dir;
    }
  }
  // A controller bound to v1 is not usable in v2 (the kernel lists it in one place only,
  // but be explicit for hand-written mount tables).
  for (const auto& [c, dir] : layout.v1) layout.unified_controllers.erase(c);
  return layout;
}

CgroupLayout CgroupLayout::detect() {
  CgroupLayout layout = from_mounts(read_text("/proc/self/mounts"), controllers_of);
  layout.kill = layout.probe_kill_method();  // once: it touches the cgroup file system
  return layout;
}

std::string CgroupLayout::version_of(const std::string& controller) const {
  if (unified_controllers.count(controller)) return "v2";
  if (v1.count(controller)) return "v1";
  return "";
}

std::string CgroupLayout::probe_kill_method() const {
  if (!unified.empty() && exists(unified + "/cgroup.kill")) return "cgroup.kill";
  // The root group has no cgroup.kill; any child does where the kernel supports it
  // (5.14+). Probe the file's presence on a group of our own instead.
  if (!unified.empty()) {
    std::string probe = unified + "/opengrid";
    ::mkdir(probe.c_str(), 0755);
    if (exists(probe + "/cgroup.kill")) return "cgroup.kill";
  }
  if (v1.count("freezer") || unified_controllers.count("freezer")) return "freezer";
  return "";
}

std::string CgroupLayout::describe() const {
  std::string out;
  for (const char* c : {"memory", "pids", "cpu"}) {
    std::string v = version_of(c);
    out += std::string(c) + "=" + (v.empty() ? "none" : v) + " ";
  }
  return out + "kill=" + (kill.empty() ? "signals" : kill);
}

void remove_stale_job_cgroups(const CgroupLayout& layout) {
  std::set<std::string> mounts;
  if (!layout.unified.empty()) mounts.insert(layout.unified);
  for (const auto& [controller, dir] : layout.v1) mounts.insert(dir);
  for (const auto& mount : mounts) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(mount + "/opengrid", ec))
      if (left_by_a_gone_worker(entry.path().filename())) ::rmdir(entry.path().c_str());
  }
}

bool left_by_a_gone_worker(const std::string& name) {
  if (name.size() < 2 || name[0] != 'w') return false;
  std::string pid = name.substr(1, name.find('-') - 1);
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  return ::access(("/proc/" + pid).c_str(), F_OK) != 0;
}

JobCgroup::JobCgroup(const CgroupLayout& layout, const std::string& name, const CgroupLimits& limits)
    : layout_(layout) {
  auto make = [&](const std::string& mount) -> std::string {
    std::string parent = mount + "/opengrid";
    ::mkdir(parent.c_str(), 0755);
    std::string dir = parent + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      log_warn("cgroup_create_failed", {{"dir", dir}, {"error", std::strerror(errno)}});
      return "";
    }
    dirs_.push_back(dir);
    procs_files_.push_back(dir + "/cgroup.procs");
    return dir;
  };
  // v2: one group, with the controllers enabled down the path from the root.
  if (!layout.unified.empty()) {
    std::string enable;
    for (const char* c : {"memory", "pids", "cpu"})
      if (layout.unified_controllers.count(c)) enable += std::string(enable.empty() ? "+" : " +") + c;
    if (!enable.empty()) {
      write_text(layout.unified + "/cgroup.subtree_control", enable);
      ::mkdir((layout.unified + "/opengrid").c_str(), 0755);
      write_text(layout.unified + "/opengrid/cgroup.subtree_control", enable);
    }
    unified_dir_ = make(layout.unified);
  }
  auto dir_for = [&](const std::string& controller) -> std::string {
    std::string v = layout.version_of(controller);
    if (v == "v2") return unified_dir_;
    if (v == "v1") return make(layout.v1.at(controller));
    return "";
  };
  auto limit = [&](const std::string& controller, const std::string& dir,
                   const std::vector<std::pair<std::string, std::string>>& files) {
    if (dir.empty()) return;
    bool all = true;
    for (const auto& [file, value] : files) {
      // memsw exists only with swap accounting; every other file must take the value.
      bool optional = file == "memory.memsw.limit_in_bytes" || file == "memory.swap.max";
      if (optional && !exists(dir + "/" + file)) continue;
      if (!write_text(dir + "/" + file, value)) all = false;
    }
    if (all) enforced_.insert(controller);
    else log_warn("cgroup_limit_refused", {{"controller", controller}, {"dir", dir}});
  };
  if (limits.memory_bytes > 0) {
    memory_dir_ = dir_for("memory");
    std::string bytes = std::to_string(limits.memory_bytes);
    if (layout.version_of("memory") == "v2")
      limit("memory", memory_dir_, {{"memory.max", bytes}, {"memory.swap.max", "0"}});
    else  // memsw (memory + swap) must be set after memory and never below it
      limit("memory", memory_dir_, {{"memory.limit_in_bytes", bytes}, {"memory.memsw.limit_in_bytes", bytes}});
  }
  if (limits.max_pids > 0) limit("pids", dir_for("pids"), {{"pids.max", std::to_string(limits.max_pids)}});
  if (limits.cpus > 0) {
    auto quota = std::to_string(static_cast<int64_t>(std::ceil(limits.cpus * 100000)));
    if (layout.version_of("cpu") == "v2")
      limit("cpu", dir_for("cpu"), {{"cpu.max", quota + " 100000"}});
    else
      limit("cpu", dir_for("cpu"), {{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", quota}});
  }
  if (!limits.denied_devices.empty()) {
    std::vector<std::pair<std::string, std::string>> rules;
    for (const auto& rule : limits.denied_devices) rules.emplace_back("devices.deny", rule + " rwm");  // read, write, mknod
    if (layout.v1.count("devices")) limit("devices", make(layout.v1.at("devices")), rules);
    else log_warn("devices_cgroup_missing", {{"effect", "GPUs not given to a job are hidden by its /dev only"}});
  }
  if (layout.v1.count("freezer") && layout.kill == "freezer") freezer_dir_ = make(layout.v1.at("freezer"));
}

JobCgroup::~JobCgroup() {
  kill_all();
  // A killed task leaves its group a moment later; rmdir fails (EBUSY) until it has.
  for (const auto& dir : dirs_) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (::rmdir(dir.c_str()) != 0 && errno == EBUSY && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool JobCgroup::out_of_memory() const {
  if (memory_dir_.empty()) return false;
  if (layout_.version_of("memory") == "v2") return oom_kills(read_text(memory_dir_ + "/memory.events")) > 0;
  return oom_kills(read_text(memory_dir_ + "/memory.oom_control")) > 0;
}

void JobCgroup::kill_all() const {
  if (!unified_dir_.empty() && write_text(unified_dir_ + "/cgroup.kill", "1")) return;
  if (!freezer_dir_.empty()) {
    // Frozen tasks cannot fork while we read the list; SIGKILL is acted on at thaw.
    write_text(freezer_dir_ + "/freezer.state", "FROZEN");
    kill_listed(freezer_dir_ + "/cgroup.procs");
    write_text(freezer_dir_ + "/freezer.state", "THAWED");
    return;
  }
  for (const auto& file : procs_files_) kill_listed(file);
}

}  // namespace og
