#include "worker/srun/step_outcome.hpp"

#include <cstring>
#include <map>

namespace og::srun {

std::string encode(const TaskOutcome& outcome) {
  switch (outcome.kind) {
    case TaskOutcome::Kind::kExited: return "exit " + std::to_string(outcome.value) + "\n";
    case TaskOutcome::Kind::kSignaled: return "signal " + std::to_string(outcome.value) + "\n";
    case TaskOutcome::Kind::kStopped: return "stopped " + std::to_string(outcome.value) + "\n";
    case TaskOutcome::Kind::kUnknown: break;
  }
  return "unknown\n";
}

std::optional<TaskOutcome> decode(const std::string& line) {
  auto value_after = [&](const std::string& word) -> std::optional<int> {
    if (!line.starts_with(word + " ")) return std::nullopt;
    try {
      size_t used = 0;
      int v = std::stoi(line.substr(word.size() + 1), &used);
      return v;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  if (auto code = value_after("exit")) return TaskOutcome{TaskOutcome::Kind::kExited, *code};
  if (auto sig = value_after("signal")) return TaskOutcome{TaskOutcome::Kind::kSignaled, *sig};
  if (auto sig = value_after("stopped")) return TaskOutcome{TaskOutcome::Kind::kStopped, *sig};
  return std::nullopt;
}

std::string task_ranges(const std::vector<uint32_t>& tasks) {
  std::string out;
  for (size_t i = 0; i < tasks.size();) {
    size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(tasks[i]);
    if (j > i) out += "-" + std::to_string(tasks[j]);
    i = j + 1;
  }
  return out;
}

std::vector<std::string> outcome_lines(const std::string& node, const std::string& step_name,
                                       const std::vector<TaskOutcome>& outcomes) {
  // Tasks that ended alike are named together, signals first (as srun hears of them first).
  std::map<std::pair<int, int>, std::vector<uint32_t>> alike;
  for (uint32_t task = 0; task < outcomes.size(); ++task) {
    const TaskOutcome& o = outcomes[task];
    if ((o.kind == TaskOutcome::Kind::kExited && o.value == 0) || o.kind == TaskOutcome::Kind::kStopped) continue;
    int order = o.kind == TaskOutcome::Kind::kSignaled ? 0 : o.kind == TaskOutcome::Kind::kUnknown ? 1 : 2;
    alike[{order, o.value}].push_back(task);
  }
  std::vector<std::string> lines;
  // A task killed while others ran: Slurm terminates the step, and says so after the kills.
  bool killed = !alike.empty() && alike.begin()->first.first == 0 && outcomes.size() > 1;
  for (const auto& [key, tasks] : alike) {
    auto [order, value] = key;
    if (order > 0 && killed) {
      lines.push_back("srun: Force Terminated StepId=" + step_name);
      killed = false;
    }
    const char* signal_name = order == 0 ? ::strsignal(value) : nullptr;
    std::string what = order == 0 ? (signal_name ? signal_name : "Signal " + std::to_string(value))
                       : order == 1 ? "ended without a report (its launcher was stopped)"
                                    : "Exited with exit code " + std::to_string(value);
    lines.push_back("srun: error: " + node + ": task" + (tasks.size() > 1 ? "s " : " ") + task_ranges(tasks) +
                    ": " + what);
  }
  if (killed) lines.push_back("srun: Force Terminated StepId=" + step_name);
  return lines;
}

int step_exit_code(const std::vector<TaskOutcome>& outcomes) {
  int code = 0, stopped = 0;
  for (const TaskOutcome& o : outcomes) {
    if (o.kind == TaskOutcome::Kind::kExited) code = std::max(code, o.value);
    else if (o.kind == TaskOutcome::Kind::kSignaled) code = std::max(code, 128 + o.value);
    else if (o.kind == TaskOutcome::Kind::kStopped) stopped = std::max(stopped, 128 + o.value);
    else code = std::max(code, 1);
  }
  // The step's own failure, not the stopping of the rest that followed it.
  return code != 0 ? code : stopped;
}

}  // namespace og::srun
