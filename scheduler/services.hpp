// What og-schedd offers its clients, one narrow interface per concern. The REST layer
// (api.hpp) is written against these, never against the controller that implements them.
#pragma once

#include "scheduler/credentials.hpp"
#include "scheduler/job_queries.hpp"
#include "scheduler/lease_files.hpp"
#include "scheduler/lease_protocol.hpp"
#include "scheduler/submissions.hpp"
#include "scheduler/wallets.hpp"

namespace og {

struct Services {
  Submissions& submissions;  // a requester's acts on its own jobs, and their bundles
  JobQueries& queries;       // listings, history, accounting, metrics
  LeaseProtocol& leases;     // a provider's worker: offers, polls, results
  LeaseFiles& lease_files;   // what travels with a lease, both ways
  Wallets& wallets;          // money: balances, faucet, bonds, chain links
  Credentials& credentials;  // tokens, users and their signing keys
};

}  // namespace og
