// The signals srun and a task's launcher pass on to what they started, and how they are
// held back across a fork: none may arrive between fork() and the moment the new process
// is on the list (parent) or has its own handlers (child), or it would be lost or sent to
// the wrong process.
#pragma once

#include <signal.h>

namespace og::srun {

inline constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

inline sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  return set;
}

// Holds the forwarded signals back; returns the mask to restore (in the parent).
inline sigset_t hold_signals() {
  sigset_t set = forwarded_set(), before;
  sigprocmask(SIG_BLOCK, &set, &before);
  return before;
}

inline void restore_signals(const sigset_t& before) { sigprocmask(SIG_SETMASK, &before, nullptr); }

// In a child, once its own handlers (or the defaults) are in place.
inline void release_signals() {
  sigset_t set = forwarded_set();
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace og::srun
