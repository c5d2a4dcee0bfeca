// Backend: how a worker runs the jobs it leases. `local` runs them as processes on this
// host; a `slurm` backend hands them to a Slurm cluster.
#pragma once

#include <functional>
#include <string>

#include "worker/lease.hpp"

namespace og {

class Backend {
 public:
  using DoneCallback = std::function<void(const RunResult&)>;
  virtual ~Backend() = default;
  // Starts the job and returns at once; `done` is called once, from another thread, when
  // it has ended (normally, by its time limit, by cancel(), or because it could not start).
  virtual void launch(const LeaseTask& task, DoneCallback done) = 0;
  // Stops a launched job (its whole process tree); a no-op for unknown leases.
  virtual void cancel(uint64_t lease_id) = 0;
  // Stops everything (worker shutdown).
  virtual void cancel_all() = 0;
  // Stops the backend's own threads; no callback runs after it returns.
  virtual void shutdown() = 0;
  // The work directory of a running job ("" when unknown), where it leaves milestones.
  virtual std::string job_dir(uint64_t lease_id) = 0;
  // False while the backend cannot run anything (a cluster it cannot reach): the worker
  // then stops polling, and og-schedd requeues its leases when the heartbeats stop.
  virtual bool available() { return true; }
};

}  // namespace og
