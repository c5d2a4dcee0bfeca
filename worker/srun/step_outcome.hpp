// How each task of a step ended, and what srun says about it: the lines Slurm's srun
// prints ("srun: error: NODE: tasks 0-1: Exited with exit code 2", "...: task 1: Killed")
// and the status it exits with (the highest task exit code; 128+N for a signal N).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace og::srun {

struct TaskOutcome {
  // kStopped: ended by a signal srun passed on (the job cancelled, or mpirun stopping the
  // rest of an MPI step after one rank was killed); not itself a failure to report.
  enum class Kind { kExited, kSignaled, kStopped, kUnknown } kind = Kind::kUnknown;
  int value = 0;  // the exit code or the signal
};

// A task's launcher records its outcome in one short line; nullopt when it is malformed.
std::string encode(const TaskOutcome& outcome);
std::optional<TaskOutcome> decode(const std::string& line);

// outcomes[i] is task i's.
std::vector<std::string> outcome_lines(const std::string& node, const std::string& step_name,
                                       const std::vector<TaskOutcome>& outcomes);
int step_exit_code(const std::vector<TaskOutcome>& outcomes);

// "0", "0-1", "0,2-4": task numbers as Slurm lists them.
std::string task_ranges(const std::vector<uint32_t>& tasks);

}  // namespace og::srun
