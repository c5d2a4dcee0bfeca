#!/usr/bin/env bash
# A data set shared by many jobs (issue 21): one 1 GiB data set pushed with og-data, an
# array of 100 jobs naming it on a 2-worker mesh; counts the bytes the workers fetched from
# the registry (their cache_pulled log lines). Target: at most 2 GiB (once per provider).
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
export PATH=$bin:$PATH
jobs=${JOBS:-100}
work=$(mktemp -d /tmp/opengrid-bench-data.XXXXXX)
trap 'og-mesh down --dir "$work/mesh" 2>/dev/null; rm -rf "$work"' EXIT
[[ $(id -u) -eq 0 ]] || { echo "bench/data.sh: SKIPPED: data sets are mounted by the jail, which needs root"; exit 0; }
eval "$(og-mesh up --workers 2 --cpus 2 --registry --dir "$work/mesh")"
mkdir -p "$work/set"
head -c $((1 << 30)) /dev/urandom >"$work/set/weights.bin"
ref=$(og-data push "$work/set" "$OG_REGISTRY/bench/weights:1" 2>/dev/null)
mkdir -p "$work/submit" && cd "$work/submit"
cat >job.sh <<JOB
#!/bin/bash
#SBATCH --array=1-$jobs
#OG --data=w=$ref
stat -c %s /data/w/weights.bin
JOB
start=$(date +%s.%N)
og-sbatch --wait --parsable job.sh >/dev/null
end=$(date +%s.%N)
fetched=$(cat "$work/mesh"/worker-*.log | sed -n 's/.*event=cache_pulled.* fetched=\([0-9]*\).*/\1/p' | paste -sd+ - | bc)
pulls=$(cat "$work/mesh"/worker-*.log | grep -c 'event=cache_pulled' || true)
echo "data_set_bytes=$((1 << 30)) jobs=$jobs workers=2 pulls=$pulls fetched_bytes=$fetched fetched_gib=$(echo "scale=2; $fetched / 1073741824" | bc) wall_s=$(echo "$end - $start" | bc)"
