#!/usr/bin/env bash
# What containment costs (issue 5): og-bench-launch times `true` through the jail against a
# bare fork/exec, then the foundation's latency and throughput runs go through a 4 x 2-CPU
# mesh twice in one run — workers jailing every job (the default as root) and workers with
# --isolation none. Prints the table docs/benchmarks.md records.
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
export PATH=$bin:$PATH
work=$(mktemp -d /tmp/opengrid-bench-sandbox.XXXXXX)
trap 'for d in "$work"/mesh-*; do [[ -d $d ]] && og-mesh down --dir "$d" 2>/dev/null; done; rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
if [[ $(id -u) -ne 0 ]]; then
  echo "bench/sandbox.sh: SKIPPED: the jail needs root"
  exit 0
fi
launch=$(og-bench-launch 300 loopback 2>/dev/null)
echo "$launch"
og-bench-seccomp 50

run_mesh() {  # run_mesh NAME ISOLATION
  local dir=$work/mesh-$1
  eval "$(og-mesh up --workers 4 --cpus 2 --dir "$dir" --schedd-opt --quiet --worker-opt "--quiet --isolation $2")"
  og-bench latency 50
  og-bench throughput 1000
  og-mesh down --dir "$dir"
}
jail=$(run_mesh jail jail)
echo "jail: $jail"
none=$(run_mesh none none)
echo "none: $none"

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
cat <<TABLE

| figure | jail | none (no containment) | target |
|---|---|---|---|
| launch of \`true\`, median (300 runs; bare fork/exec $(field bare_median_ms "$launch") ms) | $(field jail_median_ms "$launch") ms | $(field bare_median_ms "$launch") ms | ≤ 10 ms added |
| launch of \`true\`, p99 | $(field jail_p99_ms "$launch") ms | $(field bare_p99_ms "$launch") ms | — |
| added by the jail, median | $(field added_median_ms "$launch") ms | — | ≤ 10 ms |
| idle submit→start latency through the mesh, median (50 jobs) | $(field median_ms "$jail") ms | $(field median_ms "$none") ms | ≤ 20 ms |
| end-to-end throughput, 1,000 trivial jobs | $(field jobs_per_s "$jail") jobs/s | $(field jobs_per_s "$none") jobs/s | ≥ 200 jobs/s |
TABLE
