// What og-schedd shows of a job to its clients: one job with where it ran, listings, and
// a pending job's expected start. Shared by the services that answer for jobs.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "scheduler/model.hpp"

namespace og {

// Not found: no job of that id (in memory or stored).
ApiError job_not_found(uint64_t id);

struct JobFilter {
  std::set<uint64_t> ids;  // a job id also matches its array's tasks
  std::map<uint64_t, std::set<uint32_t>> tasks;  // array id → the tasks named (42_7, 42_[1-3])
  std::set<std::string> users, names, partitions;
  std::set<JobState> states;
  size_t newest = 0;  // only the N matches with the highest ids (0: all)
};

struct JobView {
  Job job;
  std::string nodelist;   // partitions running or that ran its replicas
  std::string isolation;  // their sandbox levels
};

struct JobListing {
  std::vector<JobView> jobs;  // by id
  size_t matched = 0;         // how many matched the filter, before `newest`
};

struct JobDetail {
  JobView view;
  std::vector<Replica> replicas;  // its validation tasks too (Replica::validates)
};

// When a pending job is expected to start, where, and what it will cost at most.
struct StartEstimate {
  int64_t start_us = 0;
  std::vector<std::string> partitions;
  int64_t cost_micros = -1;  // -1: no time limit, so no bound
};

}  // namespace og
