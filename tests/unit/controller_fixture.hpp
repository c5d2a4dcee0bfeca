// The Controller in-process (no HTTP): a fixture with accounts, fake workers that poll
// and report as og-worker does, and helpers to read jobs back. Shared by the controller
// and journal tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/http_status.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "scheduler/controller.hpp"
#include "verify/manifest.hpp"
#include "temp_dir.hpp"

namespace og {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = std::chrono::seconds(15);  // generous: CI machines are slow

JobSpec spec(uint32_t cpus = 1) {
  JobSpec s;
  s.name = "t";
  s.script = "#!/bin/sh\necho hi\n";
  s.cpus_per_task = cpus;
  return s;
}

// A manifest with one file whose content is `content`; returns (json, root).
std::pair<std::string, std::string> manifest_of(const std::string& content) {
  Manifest m;
  m.files = {{"out.txt", content.size(), sha256_hex(content)}};
  m.root = merkle_root(m.files);
  return {to_json(m).dump(), m.root};
}

// A worker as the controller sees it: a partition, and the leases it is running, which
// every poll reports back (as og-worker does).
struct FakeWorker {
  Controller* c;
  User user;
  std::string partition;
  std::set<uint64_t> running;
  std::vector<uint64_t> cancels;
  uint64_t instance = 0;  // from the registration, as og-worker sends it

  std::vector<Lease> poll(int64_t wait_us) {
    auto r = c->leases().poll(user, partition, instance, running, wait_us);
    for (const auto& l : r.leases) running.insert(l.replica.id);
    cancels.insert(cancels.end(), r.cancel.begin(), r.cancel.end());
    return r.leases;
  }
  // Polls (each poll blocks until work arrives or wait_us) until n leases came.
  std::vector<Lease> poll_until(size_t n, int64_t wait_us = 500'000) {
    std::vector<Lease> got;
    auto deadline = Clock::now() + kDeadline;
    while (got.size() < n && Clock::now() < deadline) {
      auto leases = poll(wait_us);
      got.insert(got.end(), leases.begin(), leases.end());
    }
    return got;
  }
  void complete(uint64_t lease, const std::string& content, int exit_code = 0,
                Outcome outcome = Outcome::Completed) {
    auto [manifest, root] = manifest_of(content);
    c->leases().complete(user, lease, CompletionReport{outcome, exit_code, manifest, root});
    running.erase(lease);
  }
};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_quiet(true);
    options_.database_path = (dir_ / "state.db").string();
    options_.require_signed = false;  // hand-made specs; the signature tests turn it on
    // These tests name the partition each replica lands on: the cheapest first. The
    // weighted draw for replicated jobs is tested in test_placement.
    options_.placement = "cheapest";
  }
  void TearDown() override { controller_.reset(); }
  Controller& make(bool start = true) {
    controller_.reset();
    controller_ = std::make_unique<Controller>(options_);
    if (start) controller_->start();
    return *controller_;
  }
  Controller& c() { return *controller_; }
  User account(const std::string& name, const std::string& role) {
    std::string token = c().credentials().add_user(name, role);
    auto user = c().credentials().authenticate(token);
    EXPECT_TRUE(user.has_value());
    return user.value_or(User{name, role});
  }
  FakeWorker worker(const User& user, const std::string& partition, uint32_t cpus = 4,
                    int64_t price = 100, const std::string& isolation = "none",
                    std::vector<std::string> features = {}) {
    Partition p;
    p.name = partition;
    p.features = std::move(features);
    p.isolation = isolation;
    p.cpus = cpus;
    p.memory_mb = 4096;
    p.price_micros = price;
    Partition registered = c().leases().register_partition(user, p);
    return FakeWorker{&c(), user, partition, {}, {}, registered.instance};
  }
  Job job(uint64_t id) {
    auto d = c().queries().get_job(id);
    EXPECT_TRUE(d.has_value()) << "job " << id;
    return d ? d->view.job : Job{};
  }
  std::vector<Replica> replicas(uint64_t id) {
    auto d = c().queries().get_job(id);
    return d ? d->replicas : std::vector<Replica>{};
  }
  Partition partition(const std::string& name) {
    for (const auto& p : c().queries().partitions())
      if (p.name == name) return p;
    ADD_FAILURE() << "no partition " << name;
    return {};
  }
  // Submits a two-replica job that a and b each take and report alike; waits until it is
  // settled. Returns its id.
  uint64_t both_report_the_same(const User& user, const JobSpec& s, FakeWorker& a, FakeWorker& b);

  test::TempDir tmp_{"og-controller-test"};  // removed after TearDown
  const fs::path dir_ = tmp_.path();
  ControllerOptions options_;
  std::unique_ptr<Controller> controller_;
};

inline void expect_api_error(const std::function<void()>& f, int status, const std::string& code) {
  try {
    f();
    ADD_FAILURE() << "expected ApiError " << status << " " << code;
  } catch (const ApiError& e) {
    EXPECT_EQ(http_status(e.kind()), status) << e.what();
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

}  // namespace
}  // namespace og
