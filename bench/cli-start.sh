#!/usr/bin/env bash
# How fast the commands people type start and answer (issue 25): each tool run ROUNDS
# times (default 200) against a local og-schedd on loopback (one worker, one held job),
# median and p90 wall time per call, next to an empty C program run the same way; then
# where one call's time goes (perf stat, strace -c) and which libraries it loads.
#   bench/cli-start.sh [BIN_DIR]
set -euo pipefail
rounds=${ROUNDS:-200}
bin=$(cd "${1:-build/bin}" && pwd)
work=$(mktemp -d /tmp/og-cli-start.XXXXXX)
trap '"$bin/og-mesh" down --dir "$work/mesh" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export PATH=$bin:$PATH
echo "machine: $(nproc) cores, $(uname -r); $rounds calls each"
eval "$(og-mesh up --workers 1 --cpus 1 --dir "$work/mesh")" 2>/dev/null
printf '#!/bin/sh\n:\n' >"$work/job.sh"
id=$(cd "$work" && og-sbatch --parsable --hold job.sh)
printf 'int main(void) { return 0; }\n' >"$work/empty.c"
cc -O2 -o "$work/empty" "$work/empty.c"

# Median and p90 of ROUNDS runs of a command, in ms (each run timed on its own).
timed() {
  local name=$1; shift
  local -a ms=()
  for ((r = 0; r < rounds; r++)); do
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1
    ms+=("$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
  done
  printf '%s\n' "${ms[@]}" | sort -n | awk -v name="$name" '{ v[NR] = $1 }
    END { printf "%-28s median %6.2f ms   p90 %6.2f ms\n", name, v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)] }'
}
timed "empty C program" "$work/empty"
timed "og-squeue -j $id" og-squeue -j "$id"
timed "og-sinfo" og-sinfo
timed "og-sacct -j $id" og-sacct -j "$id"
timed "og-scontrol show job $id" og-scontrol show job "$id"
(cd "$work" && timed "og-sbatch --hold job.sh" og-sbatch --hold job.sh)

# Submitter -> the job's first line: og-sbatch --wait on the idle mesh (its worker jails
# jobs when run as root), the job's first act to stamp the clock; 50 one at a time.
printf '#!/bin/bash\necho $EPOCHREALTIME\n' >"$work/stamp.sh"
for ((r = 0; r < 50; r++)); do
  mkdir -p "$work/w$r" && cp "$work/stamp.sh" "$work/w$r/"
  t0=$EPOCHREALTIME
  (cd "$work/w$r" && og-sbatch --wait stamp.sh >/dev/null 2>&1)
  awk -v a="$t0" -v b="$(cat "$work"/w$r/slurm-*.out)" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
done | sort -n | awk '{ v[NR] = $1 } END { printf "%-28s median %6.2f ms   p90 %6.2f ms\n", "og-sbatch --wait: first line", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)] }'

echo
echo "== perf stat: og-squeue -j $id (50 runs)"
perf stat -r 50 -e task-clock,page-faults,context-switches og-squeue -j "$id" 2>&1 >/dev/null | grep -E 'task-clock|page-faults|elapsed'
echo "== strace -c: one og-squeue -j $id (top syscalls by count)"
strace -c -f -o "$work/strace" og-squeue -j "$id" >/dev/null 2>&1 || true
sed -n '1,2p' "$work/strace"; sed -n '3,$p' "$work/strace" | sort -k4 -n -r | head -8
echo "== libraries og-squeue and og-sbatch load"
for tool in og-squeue og-sbatch; do echo "$tool: $(ldd "$bin/$tool" | awk '{print $1}' | grep -v vdso | tr '\n' ' ')"; done
