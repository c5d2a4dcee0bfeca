#!/usr/bin/env bash
# How soon a line a running job prints reaches the person following its output: og-tail -f
# on a local mesh (the worker streams it through og-schedd) against what a Slurm user does,
# tail -f on the job's output file on its (here local) disk, with Slurm 22.05
# (scripts/slurm-local.sh). The job prints the wall clock every 0.2 s, N times; a line's
# delay is the clock when the follower reads it minus the clock it carries.
# usage: bench/tail.sh [BIN_DIR]   env: N (50)
set -euo pipefail

bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${N:-50}
work=$(mktemp -d /tmp/og-tail-bench.XXXXXX)
trap '"$bin/og-mesh" down --dir "$work/mesh" >/dev/null 2>&1; "$src/scripts/slurm-local.sh" stop "$work/slurm" >/dev/null 2>&1; rm -rf "$work"' EXIT
chmod 755 "$work"  # munged and slurmrestd run as their own users
printf '#!/bin/bash\nfor i in $(seq %d); do echo $EPOCHREALTIME; sleep 0.2; done\n' "$n" >"$work/clock.sh"

# Reads N lines from fd 3 and prints each one's delay in milliseconds.
delays() {
  local i t
  for ((i = 0; i < n; ++i)); do
    read -r t <&3
    echo "$t $EPOCHREALTIME"
  done | awk '{ printf "%.1f\n", ($2 - $1) * 1000 }'
}
summary() { sort -n | awk '{ v[NR] = $1 } END { printf "median %7.1f ms   p90 %7.1f ms   max %7.1f ms\n", v[int((NR + 1) / 2)], v[int(0.9 * NR + 0.999)], v[NR] }'; }

# ---- Slurm: tail -f on the job's output file ------------------------------------------------
eval "$("$src/scripts/slurm-local.sh" start "$work/slurm" 2 2)"
mkdir -p "$work/s" && chmod 777 "$work/s"
id=$(sbatch --parsable -t 5 --chdir="$work/s" -o clock.out "$work/clock.sh")
until [[ -e $work/s/clock.out ]]; do sleep 0.05; done
exec 3< <(tail -n +1 -F "$work/s/clock.out" 2>/dev/null)
printf '%-34s' "Slurm 22.05: tail -f slurm-N.out"
delays | summary
exec 3<&-
scancel "$id" 2>/dev/null || true

# ---- OpenGrid: og-tail -f --------------------------------------------------------------------
eval "$("$bin/og-mesh" up --workers 1 --cpus 1 --dir "$work/mesh")"
id=$("$bin/og-sbatch" --parsable --replicas=1 -t 5 "$work/clock.sh")
exec 3< <("$bin/og-tail" -n +1 -f "$id")
printf '%-34s' "OpenGrid: og-tail -f JOBID"
delays | summary
exec 3<&-
