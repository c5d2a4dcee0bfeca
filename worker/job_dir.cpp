#include "worker/job_dir.hpp"

#include <filesystem>
#include <stdexcept>

#include <thread>

#include "core/file_io.hpp"
#include "core/log.hpp"
#include "jobscripts/filename_pattern.hpp"
#include "worker/job_environment.hpp"

namespace og {

namespace fs = std::filesystem;

namespace {

jobscripts::PatternContext pattern_context(const LeaseTask& task, const std::string& partition) {
  jobscripts::PatternContext ctx;
  ctx.job_id = task.job_id;
  ctx.job_name = task.spec.name;
  ctx.user = task.user;
  ctx.node = partition;
  ctx.array_job_id = task.array_task_id >= 0 ? task.array_job_id : task.job_id;
  ctx.array_task_id = task.array_task_id;
  return ctx;
}

}  // namespace

std::string output_path_for(const LeaseTask& task, const std::string& pattern,
                            const std::string& partition) {
  return jobscripts::stdio_file_path(pattern, pattern_context(task, partition));
}

jobscripts::StdioFiles stdio_files_of(const LeaseTask& task, const std::string& partition) {
  return jobscripts::stdio_files(task.spec.chdir, task.spec.output, task.spec.error, pattern_context(task, partition));
}

namespace {

// A validation task runs the job's scoring script (a plain relative path: verify_mode.hpp)
// with one argument per replica, its outputs' directory; what it prints is the scores.
std::string scoring_script(const LeaseTask& task, const std::string& job_dir) {
  std::string command = "exec '" + job_dir + "/" + task.validation->script + "'";
  for (const auto& [lease, root] : task.validation->replicas)
    command += " '" + std::string(kReplicasMount) + "/" + std::to_string(lease) + "'";
  return "#!/bin/sh\n# og-worker: a validation task: the job's scoring script over its replicas' outputs\n" + command +
         " > '" + job_dir + "/.og/" + kScoresFile + "'\n";
}

}  // namespace

PreparedJob prepare_job_dir(const LeaseTask& task, const std::string& jobs_dir, const std::string& partition,
                            const BundleLimits& limits) {
  PreparedJob job;
  job.job_dir = jobs_dir + "/" + std::to_string(task.lease_id);
  // Plain mkdir/open: starting small jobs is dominated by file-system calls.
  if (!fs::create_directory(job.job_dir)) {
    fs::remove_all(job.job_dir);  // a leftover of an earlier run of this lease
    fs::create_directory(job.job_dir);
  }
  // The bundle first: .og (the script, TMPDIR, milestones) must then be ours, not a
  // directory or link the bundle planted.
  if (!task.bundle.empty()) unpack_bundle(task.bundle, job.job_dir, limits);
  if (!fs::create_directory(job.job_dir + "/.og")) throw BundleError("the bundle may not contain .og");
  fs::create_directory(job.job_dir + "/.og/milestones");
  if (!task.resume_checkpoint.empty())
    write_new_file(job.job_dir + "/" + kResumeCheckpointPath, task.resume_checkpoint, 0644);
  job.script = job.job_dir + "/.og/job.sh";
  write_new_file(job.script, task.validation ? scoring_script(task, job.job_dir) : task.spec.script, 0700);
  fs::path cwd = job.job_dir;
  if (!task.spec.chdir.empty()) {
    fs::path rel = fs::path(task.spec.chdir).relative_path();
    for (const auto& part : rel)
      if (part == "..") throw std::runtime_error("--chdir may not leave the job directory");
    cwd /= rel;
    fs::create_directories(cwd);
  }
  job.cwd = cwd.string();
  // Where og-schedd and og-tail look for them too: one rule (jobscripts::stdio_files).
  auto stdio = stdio_files_of(task, partition);
  job.out = job.job_dir + "/" + stdio.out;
  job.err = job.job_dir + "/" + stdio.err;
  for (const auto& file : {job.out, job.err})
    if (fs::path(file).parent_path() != cwd) fs::create_directories(fs::path(file).parent_path());
  if (task.spec.exclude_stdio) job.unverified = {stdio.out, stdio.err};
  return job;
}

std::optional<PreparedJob> prepare_or_refuse(const LeaseTask& task, const std::string& jobs_dir,
                                             const std::string& partition, const BundleLimits& limits,
                                             const Backend::DoneCallback& done) {
  try {
    return prepare_job_dir(task, jobs_dir, partition, limits);
  } catch (const BundleError& e) {
    log_warn("job_refused", {{"lease", std::to_string(task.lease_id)}, {"reason", "BadBundle"}, {"why", e.what()}});
    report_later(done, RunResult{task.lease_id, Outcome::Failed, 126, jobs_dir + "/" + std::to_string(task.lease_id), {},
                                 "BadBundle"});
    return std::nullopt;
  }
}

void report_later(const Backend::DoneCallback& done, RunResult result) {
  std::thread([done, result] { done(result); }).detach();
}

}  // namespace og
