// og-sim: SWF traces in and out, synthetic traces, and the simulator's figures.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "scheduler/sim/simulator.hpp"
#include "scheduler/sim/swf_trace.hpp"
#include "scheduler/sim/synthetic_trace.hpp"
#include "scheduler/sim/trust_sim.hpp"

namespace og::sim {
namespace {

Trace parse(const std::string& text) {
  std::istringstream in(text);
  return read_swf(in, "t.swf");
}

// job submit wait run procs avgcpu mem reqprocs reqtime reqmem status user group exe queue part prec think
std::string line(int id, int submit, int run, int procs, int requested) {
  std::ostringstream s;
  s << id << " " << submit << " -1 " << run << " " << procs << " -1 -1 " << procs << " " << requested
    << " -1 1 3 -1 -1 -1 -1 -1 -1\n";
  return s.str();
}

TEST(SwfTrace, ReadsJobsAndTheMachineSize) {
  Trace t = parse("; Computer: test\n;  MaxProcs: 128\n" + line(2, 20, 100, 4, 300) + line(1, 10, 50, 8, -1) +
                  "3 30 -1 -1 4 -1 -1 4 60 -1 5 1 -1 -1 -1 -1 -1 -1\n");
  EXPECT_EQ(t.max_procs, 128u);
  ASSERT_EQ(t.jobs.size(), 2u);
  EXPECT_EQ(t.skipped, 1u);  // no run time: cancelled before it ran
  EXPECT_EQ(t.jobs[0].id, 1u);  // ordered by submit time
  EXPECT_EQ(t.jobs[0].requested_s, 50);  // no requested time: its run time
  EXPECT_EQ(t.jobs[1].cpus, 4u);
  EXPECT_EQ(t.jobs[1].requested_s, 300);
  EXPECT_EQ(t.jobs[1].user, 3);
}

TEST(SwfTrace, MalformedLinesNameTheLineAndField) {
  try {
    parse("; MaxProcs: 4\n1 0 -1 10 x -1 -1 1 10 -1 1 1 -1 -1 -1 -1 -1 -1\n");
    FAIL() << "expected an error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("t.swf:2: field 5 (allocated processors)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse("1 0 -1 10\n"), UsageError);
}

TEST(SwfTrace, WrittenTracesReadBackTheSame) {
  SyntheticParams p;
  p.jobs = 50;
  Trace t = synthetic_trace(p);
  std::ostringstream out;
  write_swf(out, t);
  Trace back = parse(out.str());
  ASSERT_EQ(back.jobs.size(), t.jobs.size());
  EXPECT_EQ(back.max_procs, t.max_procs);
  for (size_t i = 0; i < t.jobs.size(); ++i) {
    EXPECT_EQ(back.jobs[i].submit_s, t.jobs[i].submit_s);
    EXPECT_EQ(back.jobs[i].run_s, t.jobs[i].run_s);
    EXPECT_EQ(back.jobs[i].cpus, t.jobs[i].cpus);
    EXPECT_EQ(back.jobs[i].requested_s, t.jobs[i].requested_s);
  }
}

TEST(SyntheticTrace, IsReproducibleAndHonoursItsParameters) {
  SyntheticParams p;
  p.jobs = 2000;
  p.max_job_cpus = 16;
  Trace a = synthetic_trace(p), b = synthetic_trace(p);
  ASSERT_EQ(a.jobs.size(), 2000u);
  double work = 0;
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    EXPECT_EQ(a.jobs[i].submit_s, b.jobs[i].submit_s);
    EXPECT_LE(a.jobs[i].cpus, 16u);
    EXPECT_GE(a.jobs[i].requested_s, a.jobs[i].run_s);
    work += double(a.jobs[i].cpus) * a.jobs[i].run_s;
  }
  // Offered load: work over capacity × the arrival span, near what was asked.
  double load = work / (p.machine_cpus * double(a.jobs.back().submit_s - a.jobs.front().submit_s));
  EXPECT_NEAR(load, p.load, 0.1);
  p.seed = 2;
  EXPECT_NE(synthetic_trace(p).jobs[5].submit_s, a.jobs[5].submit_s);
}

// A 4-CPU machine: a 3-CPU job runs 100 s, a 4-CPU job waits for it, and a 1-CPU job of
// 50 s fits in the hole. FIFO makes the small job wait; backfill runs it at once.
const char* kHoleTrace = ";  MaxProcs: 4\n"
                         "1 0 -1 100 3 -1 -1 3 100 -1 1 1 -1 -1 -1 -1 -1 -1\n"
                         "2 1 -1 100 4 -1 -1 4 100 -1 1 1 -1 -1 -1 -1 -1 -1\n"
                         "3 2 -1 50 1 -1 -1 1 60 -1 1 1 -1 -1 -1 -1 -1 -1\n";

TEST(Simulator, BackfillFillsTheHoleFifoLeaves) {
  Trace t = parse(kHoleTrace);
  SimConfig fifo{"fifo", 1, 0};
  SimConfig easy{"backfill", 1, 0};
  SimReport f = simulate(t, fifo), b = simulate(t, easy);
  // FIFO: job 2 at 100 (waits 99), job 3 after it at 200 (waits 198).
  EXPECT_DOUBLE_EQ(f.mean_wait_s, (0 + 99 + 198) / 3.0);
  EXPECT_EQ(f.makespan_s, 250);
  EXPECT_EQ(f.backfilled, 0u);
  // Backfill: job 3 starts at 2 and ends at 52, before job 2's reservation at 100.
  EXPECT_DOUBLE_EQ(b.mean_wait_s, (0 + 99 + 0) / 3.0);
  EXPECT_EQ(b.makespan_s, 200);
  EXPECT_EQ(b.backfilled, 1u);
  EXPECT_GT(b.utilization, f.utilization);
  EXPECT_DOUBLE_EQ(b.utilization, (300 + 400 + 50) / (4.0 * 200));
}

TEST(Simulator, BackfillBeatsFifoOnASyntheticTrace) {
  SyntheticParams p;
  p.jobs = 400;
  p.machine_cpus = 64;
  p.max_job_cpus = 32;
  Trace t = synthetic_trace(p);
  SimReport f = simulate(t, SimConfig{"fifo", 1, 0}), b = simulate(t, SimConfig{"backfill", 1, 0});
  EXPECT_EQ(f.jobs, 400u);
  EXPECT_LT(b.mean_wait_s, f.mean_wait_s);
  EXPECT_GT(b.utilization, f.utilization);
  EXPECT_GT(b.backfilled, 0u);
}

TEST(Simulator, JobsWiderThanAPartitionAreLeftOutAndCounted) {
  Trace t = parse(std::string(";  MaxProcs: 8\n") + line(1, 0, 10, 2, 10) + line(2, 0, 10, 8, 10));
  SimReport r = simulate(t, SimConfig{"backfill", 2, 0});  // two partitions of 4
  EXPECT_EQ(r.jobs, 1u);
  EXPECT_EQ(r.too_big, 1u);
  EXPECT_THROW(simulate(parse(line(1, 0, 10, 2, 10)), SimConfig{"backfill", 1, 0}), UsageError);  // no MaxProcs
}


TEST(TrustSim, HonestProvidersCostOnePlusTheSpotCheckRate) {
  TrustSimParams p;
  p.cheaters = 0;
  p.jobs = 20'000;
  p.lifetimes = 1;
  auto r = simulate_trust(p);
  EXPECT_NEAR(r.steady_overhead, 1.0 + p.adaptive.spot_check, 0.02);
  EXPECT_GT(r.overhead, r.steady_overhead - 0.001) << "trust is earned first, at two runs a job";
  EXPECT_EQ(r.wrong_accepted, 0.0);
  p.adaptive.enabled = false;
  EXPECT_DOUBLE_EQ(simulate_trust(p).overhead, 2.0) << "without it, every replica asked for runs";
}

TEST(TrustSim, ACheaterIsCaughtEvenWhenTrustedFromTheStart) {
  TrustSimParams p;
  p.adaptive.trust_after = 0;  // the worst case: no probation
  p.jobs = 1'000;
  p.lifetimes = 300;
  auto r = simulate_trust(p);
  EXPECT_GE(r.caught_within_horizon, 0.97);
  EXPECT_NEAR(r.analytic_escape, std::pow(1 - 0.1 * 0.1, 500), 1e-12);
  p.adaptive.spot_check = 0;  // never checked once trusted: never caught
  EXPECT_EQ(simulate_trust(p).caught_within_horizon, 0.0);
}

}  // namespace
}  // namespace og::sim
