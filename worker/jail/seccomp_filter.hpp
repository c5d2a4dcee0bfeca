// The system calls a jailed job may not make, enforced by a seccomp filter (libseccomp)
// that og-jail loads after dropping privileges and before the script starts; every
// process of the job inherits it. Modelled on Docker's default profile, as a deny list:
// what is refused is kernel surface a batch job never needs and an attacker uses —
// keyrings that outlive the job, typing into a terminal, new namespaces and mounts,
// kernel modules and other machine-wide knobs. Each entry, and why, is in
// seccomp_filter.cpp and README ("What a job cannot do").
#pragma once

#include <string>
#include <vector>

namespace og::jail {

// One refused call (or call form) and the reason it is refused.
struct DeniedCall {
  std::string name;    // the system call
  std::string form;    // which calls of it: "" for all, else e.g. "ioctl(TIOCSTI)"
  std::string reason;
};

// The list the filter enforces (for documentation and tests).
const std::vector<DeniedCall>& denied_calls();

// The filter as the kernel runs it (an array of struct sock_filter). Building it with
// libseccomp takes about half a millisecond, so og-worker builds it once and each og-jail
// loads the result.
std::string compile_seccomp_filter();

// Loads a compiled filter into this thread (and what it execs and forks). Needs
// no_new_privs or CAP_SYS_ADMIN. Throws std::runtime_error naming what failed.
void load_compiled_filter(const std::string& bpf);

// Both at once (for a jail started by hand).
void load_seccomp_filter();

}  // namespace og::jail
