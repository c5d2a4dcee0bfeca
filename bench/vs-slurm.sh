#!/usr/bin/env bash
# OpenGrid and Slurm 22.05 side by side, on this machine, in one run, with the same
# resources: a one-host Slurm of 4 slurmd nodes x 2 CPUs (scripts/slurm-local.sh, tuned:
# batch_sched_delay=0, sched_min_interval=0, default_queue_depth=1000; no accounting) and
# an OpenGrid mesh of 4 workers x 2 CPUs (og-mesh; no replication; jobs uncontained like
# Slurm's: --isolation none). Trivial jobs throughout. Prints one table with the ratio
# OpenGrid/Slurm (for latency Slurm/OpenGrid: how many times faster) for each figure; then
# both contained, as each is run for real: Slurm with proctrack/cgroup and task/cgroup
# (where those start here) against OpenGrid's jail (og-worker's default as root).
# usage: bench/vs-slurm.sh [BIN_DIR]   env: JOBS (1000), LATENCY_JOBS (50), CLI_JOBS (200)
set -euo pipefail

bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
jobs=${JOBS:-1000}
latency_jobs=${LATENCY_JOBS:-50}
cli_jobs=${CLI_JOBS:-200}
work=$(mktemp -d /tmp/og-vs-slurm.XXXXXX)
trap '"$src/scripts/slurm-local.sh" stop "$work/slurm" >/dev/null 2>&1; og-mesh down --dir "$work/mesh" >/dev/null 2>&1; rm -rf "$work"' EXIT

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
percentile() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p * NR + 0.999999); if (i < 1) i = 1; printf "%.1f", v[i] }'; }

# ---- Slurm -----------------------------------------------------------------------------
chmod 755 "$work"  # munged and slurmrestd run as their own users
exports=$("$src/scripts/slurm-local.sh" start "$work/slurm" 4 2) || exit 1
eval "$exports"
mkdir -p "$work/s"
cd "$work/s"
# Waits for a condition, giving up (and failing the run) after 15 minutes.
await_cmd() {
  local deadline=$((SECONDS + 900))
  until "$@"; do
    ((SECONDS < deadline)) || { echo "vs-slurm: gave up waiting for: $*" >&2; exit 1; }
    sleep 0.05
  done
}
queue_empty() { local q; q=$(squeue -h -o %i) && [[ -z $q ]]; }
await_empty() { await_cmd queue_empty; }

# Latency: the script's first act is to stamp the time (bash, as og-bench's job does);
# submitted one by one, idle. Sets s_lat_med and s_lat_p99.
printf '#!/bin/bash\necho $EPOCHREALTIME\n' >stamp.sh
slurm_latency() {
  : >"$work/slurm-latency"
  for ((i = 0; i < latency_jobs; i++)); do
    rm -f stamp
    t0=$(now)
    sbatch -Q -o stamp stamp.sh >/dev/null
    await_cmd test -s stamp
    awk -v a="$t0" -v b="$(cat stamp)" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >>"$work/slurm-latency"
    await_empty
  done
  s_lat_med=$(percentile 0.5 <"$work/slurm-latency")
  s_lat_p99=$(percentile 0.99 <"$work/slurm-latency")
}
# Throughput: JOBS trivial jobs submitted at once (sbatch loop), until the queue is empty.
slurm_throughput() {
  t0=$(now)
  for ((i = 0; i < jobs; i++)); do sbatch -Q -o /dev/null --wrap true >/dev/null; done
  await_empty
  s_thr=$(awk -v n="$jobs" -v s="$(elapsed "$t0" "$(now)")" 'BEGIN { printf "%.1f", n / s }')
}
slurm_latency
slurm_throughput

# CLI: sbatch, one process per submission, held (nothing runs), then cancelled.
t0=$(now)
for ((i = 0; i < cli_jobs; i++)); do sbatch -Q -H -o /dev/null --wrap true >/dev/null; done
s_cli=$(awk -v n="$cli_jobs" -v s="$(elapsed "$t0" "$(now)")" 'BEGIN { printf "%.0f", n / s }')
scancel -u root
await_empty

# A JOBS-task array, until every task has finished.
t0=$(now)
sbatch -Q -o /dev/null --array=1-"$jobs" --wrap true >/dev/null
await_empty
s_arr=$(awk -v n="$jobs" -v s="$(elapsed "$t0" "$(now)")" 'BEGIN { printf "%.1f", n / s }')
"$src/scripts/slurm-local.sh" stop "$work/slurm"

# Slurm as sites run it, its jobs in cgroups (proctrack/cgroup, task/cgroup), where that
# starts here: latency and throughput again.
s_cg_lat="n/a" s_cg_thr="n/a"
s_plain_lat_med=$s_lat_med s_plain_lat_p99=$s_lat_p99 s_plain_thr=$s_thr
if exports=$(SLURM_CONTAIN=cgroup "$src/scripts/slurm-local.sh" start "$work/slurm-cg" 4 2 2>"$work/slurm-cg.err"); then
  eval "$exports"
  if timeout 60 sbatch -Q -W -o /dev/null --wrap true >/dev/null 2>&1; then
    slurm_latency
    slurm_throughput
    s_cg_lat=$s_lat_med s_cg_thr=$s_thr
  else
    echo "vs-slurm: Slurm with cgroup containment runs no job here (see $work/slurm-cg/log)" >&2
  fi
  "$src/scripts/slurm-local.sh" stop "$work/slurm-cg"
else
  echo "vs-slurm: Slurm with cgroup containment does not start here: $(tail -1 "$work/slurm-cg.err")" >&2
fi
s_lat_med=$s_plain_lat_med s_lat_p99=$s_plain_lat_p99 s_thr=$s_plain_thr

# ---- OpenGrid --------------------------------------------------------------------------
eval "$(og-mesh up --workers 4 --cpus 2 --dir "$work/mesh" --schedd-opt --quiet \
  --worker-opt "--quiet --isolation none")"
mkdir -p "$work/o"
cd "$work/o"
lat=$(og-bench latency "$latency_jobs")
o_lat_med=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$lat")
o_lat_p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$lat")
thr=$(og-bench throughput "$jobs")
o_thr=$(sed -n 's/.*jobs_per_s=\([0-9.]*\).*/\1/p' <<<"$thr")
printf '#!/bin/sh\n#SBATCH --hold\n:\n' >held.sh
t0=$(now)
for ((i = 0; i < cli_jobs; i++)); do og-sbatch --parsable held.sh >/dev/null; done
o_cli=$(awk -v n="$cli_jobs" -v s="$(elapsed "$t0" "$(now)")" 'BEGIN { printf "%.0f", n / s }')
og-scancel -u "${USER:-$(id -un)}" >/dev/null
printf '#!/bin/sh\n#SBATCH -o /dev/null\n:\n' >task.sh
t0=$(now)
og-sbatch --parsable --array=1-"$jobs" task.sh >/dev/null
og_queue_empty() { local q; q=$(og-squeue -h -t PD,R -o %i) && [[ -z $q ]]; }
await_cmd og_queue_empty
o_arr=$(awk -v n="$jobs" -v s="$(elapsed "$t0" "$(now)")" 'BEGIN { printf "%.1f", n / s }')
og-mesh down --dir "$work/mesh" >/dev/null 2>&1

# OpenGrid as it runs by default: every job in the jail (og-worker as root).
eval "$(og-mesh up --workers 4 --cpus 2 --dir "$work/mesh-jail" --schedd-opt --quiet --worker-opt "--quiet")"
trap '"$src/scripts/slurm-local.sh" stop "$work/slurm" >/dev/null 2>&1; og-mesh down --dir "$work/mesh-jail" >/dev/null 2>&1; rm -rf "$work"' EXIT
lat=$(og-bench latency "$latency_jobs")
o_j_lat=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$lat")
thr=$(og-bench throughput "$jobs")
o_j_thr=$(sed -n 's/.*jobs_per_s=\([0-9.]*\).*/\1/p' <<<"$thr")

ratio() { [[ $1 == n/a || $2 == n/a ]] && { echo "—"; return; }; awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }
cat <<TABLE
machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; Slurm $(sinfo -V 2>/dev/null | awk '{print $2}'), 4 slurmd x 2 CPUs; OpenGrid 4 workers x 2 CPUs

| figure | Slurm | OpenGrid | OpenGrid vs Slurm | target |
|---|---|---|---|---|
| idle submit→start latency, median ($latency_jobs jobs) | $s_lat_med ms | $o_lat_med ms | $(ratio "$s_lat_med" "$o_lat_med") faster | ≥ 20× |
| idle submit→start latency, p99 | $s_lat_p99 ms | $o_lat_p99 ms | $(ratio "$s_lat_p99" "$o_lat_p99") faster | — |
| end-to-end throughput, $jobs trivial jobs | $s_thr jobs/s | $o_thr jobs/s | $(ratio "$o_thr" "$s_thr") | ≥ 10× |
| CLI submissions, one process each (sbatch / og-sbatch) | $s_cli /s | $o_cli /s | $(ratio "$o_cli" "$s_cli") | ≥ 2× |
| $jobs-task array, submit to last task done | $s_arr tasks/s | $o_arr tasks/s | $(ratio "$o_arr" "$s_arr") | — |
| contained: idle latency, median (Slurm cgroup / OpenGrid jail) | $s_cg_lat ms | $o_j_lat ms | $(ratio "$s_cg_lat" "$o_j_lat") faster | — |
| contained: end-to-end throughput, $jobs jobs | $s_cg_thr jobs/s | $o_j_thr jobs/s | $(ratio "$o_j_thr" "$s_cg_thr") | jail ≥ 200 jobs/s |
TABLE
