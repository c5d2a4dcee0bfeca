#!/usr/bin/env bash
# The foundation benchmark: a local mesh of 4 workers x 2 CPUs, no replication, trivial
# jobs. Prints the figures docs/benchmarks.md records, next to the Slurm 22.05 anchor
# measured on this kind of machine (../shared/notes/platform-facts.md).
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
export PATH=$bin:$PATH
work=$(mktemp -d /tmp/opengrid-bench.XXXXXX)
trap 'og-mesh down --dir "$work/mesh" 2>/dev/null; rm -rf "$work"' EXIT

eval "$(og-mesh up --workers 4 --cpus 2 --dir "$work/mesh" --schedd-opt --quiet --worker-opt --quiet)"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
lat=$(og-bench latency 50)
echo "$lat"
thr=$(og-bench throughput 1000)
echo "$thr"
api=$(og-bench submit 5000 2)
echo "$api"

# og-sbatch, one process per submission, as a user's loop would run it.
printf '#!/bin/sh\n#SBATCH --hold\n:\n' >"$work/held.sh"
n=300
start=$(date +%s%N)
for ((i = 0; i < n; i++)); do og-sbatch --parsable "$work/held.sh" >/dev/null; done
end=$(date +%s%N)
cli=$(awk -v n=$n -v ns=$((end - start)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
echo "og-sbatch submissions=$n per_s=$cli"
og-scancel -u "${USER:-$(id -un)}" || true
og-mesh down --dir "$work/mesh"

# The same throughput run with the workers' job directories on tmpfs (scratch space, as a
# provider would configure it); og-schedd's database stays on disk.
scratch=/dev/shm/opengrid-bench-$$
eval "$(og-mesh up --workers 4 --cpus 2 --dir "$work/mesh2" --scratch "$scratch" --schedd-opt --quiet --worker-opt --quiet)"
trap 'og-mesh down --dir "$work/mesh2" 2>/dev/null; rm -rf "$work" "$scratch"' EXIT
thr_tmpfs=$(og-bench throughput 1000)
echo "$thr_tmpfs (job directories on tmpfs)"

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
cat <<TABLE

| figure | OpenGrid | target | Slurm 22.05 anchor (same machine kind) |
|---|---|---|---|
| idle submit→start latency, median (50 jobs) | $(field median_ms "$lat") ms | ≤ 20 ms | ≈ 470 ms (tuned) |
| idle submit→start latency, p99 | $(field p99_ms "$lat") ms | — | — |
| end-to-end throughput, 1,000 trivial jobs (job dirs on disk) | $(field jobs_per_s "$thr") jobs/s | ≥ 200 jobs/s | ≈ 9.5 jobs/s tuned, ≈ 35 at best |
| end-to-end throughput, 1,000 trivial jobs (job dirs on tmpfs) | $(field jobs_per_s "$thr_tmpfs") jobs/s | ≥ 200 jobs/s | |
| submissions through the REST API (2 clients) | $(field submissions_per_s "$api")/s | ≥ 1,000/s | — |
| submissions through og-sbatch (one process each) | $cli/s | — | ≈ 100–140 sbatch/s |
TABLE
