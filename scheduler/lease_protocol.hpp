// The lease protocol, as a provider's og-worker speaks it: offer a partition, poll for
// leases (the poll is the worker's heartbeat), report milestones and results.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "scheduler/model.hpp"

namespace og {

struct Lease {
  Replica replica;
  Job job;
  // A validation task: the replicas it scores and the manifest root of each (the worker
  // fetches their outputs and checks them against it).
  std::vector<std::pair<uint64_t, std::string>> scored;
};

struct PollResult {
  std::vector<Lease> leases;
  std::vector<uint64_t> cancel;  // lease ids the worker must kill
};

class LeaseProtocol {
 public:
  virtual ~LeaseProtocol() = default;
  virtual Partition register_partition(const User& user, Partition proposal) = 0;
  virtual Partition set_drain(const User& user, const std::string& name, bool drain) = 0;
  // Long poll: returns at once when leases or cancels wait, else after wait_us.
  // `instance` is what register_partition() handed the calling worker process; a poll
  // from an older process of the same partition is refused (Conflict, superseded). 0: none
  // given (a hand-written client), not checked.
  virtual PollResult poll(const User& user, const std::string& partition, uint64_t instance,
                          const std::set<uint64_t>& running, int64_t wait_us) = 0;
  // The image and data digests the partition's worker holds in its cache (placement
  // prefers it for jobs that name them).
  virtual void note_cached(const User& user, const std::string& partition, std::set<std::string> digests) = 0;
  // Caps the long poll so a live worker always polls again within the heartbeat timeout.
  virtual int64_t max_poll_wait_us() const = 0;
  virtual void complete(const User& user, uint64_t lease_id, const CompletionReport& report) = 0;
  // A running replica reached milestone `index` with this digest of its checkpoint; once a
  // quorum of replicas report the same, each of them is paid for its runtime so far and
  // it becomes the job's checkpoint. True when this milestone is the job's checkpoint (the
  // caller then asks for its content if it does not have it).
  virtual bool milestone(const User& user, uint64_t lease_id, uint32_t index, const std::string& digest) = 0;
};

}  // namespace og
