#!/usr/bin/env bash
# The scheduling figures of docs/benchmarks.md: one scheduling pass over synthetic queues
# (og-bench-sched, Google Benchmark), and FIFO against EASY backfill on synthetic traces
# (og-sim, virtual time).
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
if [[ -x $bin/og-bench-sched ]]; then
  "$bin/og-bench-sched" --benchmark_counters_tabular=true
else
  echo "og-bench-sched was not built (Google Benchmark missing: apt install libbenchmark-dev)" >&2
fi

# 20,000 jobs, Poisson arrivals, widths 1-64 CPUs, run times 1 min-8 h log-uniform,
# requested times 1-3x the run time, on 256 CPUs: one 256-CPU partition, then 4 x 64.
for load in 0.9 1.1; do
  echo "og-sim --generate 20000 --seed 1 --load $load (1 partition x 256 CPUs)"
  "$bin/og-sim" --generate 20000 --seed 1 --load "$load" --machine-cpus 256 --max-job-cpus 64
done
echo "og-sim --generate 20000 --seed 1 --load 0.9 (4 partitions x 64 CPUs)"
"$bin/og-sim" --generate 20000 --seed 1 --load 0.9 --machine-cpus 256 --max-job-cpus 64 --partitions 4 --cpus 64
