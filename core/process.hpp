// Starting child processes: argv, environment, working directory, output files, and a
// process group of their own so the whole tree can be signalled at once.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace og {

struct SpawnOptions {
  std::vector<std::string> argv;
  std::optional<std::vector<std::string>> env;  // "KEY=VALUE"; nullopt inherits ours
  std::string cwd;                               // empty: ours
  std::string stdout_path;                       // empty: inherit; files are appended to
  std::string stderr_path;                       // empty: inherit; may equal stdout_path
  bool new_process_group = true;  // and a session of its own: no controlling terminal
  bool stdin_null = true;
  // SIGKILL the child when the thread that spawned it exits (PR_SET_PDEATHSIG), which for
  // a daemon's main thread means when the daemon dies.
  bool die_with_parent = false;
  // A descriptor the child receives as fd 3 (every other one above 2 is closed); -1: none.
  int pass_fd = -1;
  // Namespace flags for the child's clone(), e.g. CLONE_NEWPID: it is then pid 1 of a
  // new pid namespace (og-jail), one process fewer than unsharing later.
  int clone_flags = 0;
  // Resource limits set in the child before exec (the sandbox fallback).
  std::vector<std::pair<int, rlim_t>> rlimits;
};

// Throws std::runtime_error when the program cannot be started (fork or exec failed).
pid_t spawn_process(const SpawnOptions& options);

// The absolute path of an executable: `name` itself when it holds a '/', else the first
// match on PATH, as a shell finds it; "" when there is none.
std::string find_program(const std::string& name);

// A program's standard output (at most 1 MiB; its errors dropped), or "" when it cannot
// start or exits non-zero. For short queries of the system (nvidia-smi, ldconfig).
std::string program_output(const std::vector<std::string>& argv);

// Exit status as a shell reports it: the exit code, or 128 + signal number.
int exit_code_from_wait_status(int status);

// The directory of the running executable (for finding sibling binaries).
std::string executable_dir();

}  // namespace og
