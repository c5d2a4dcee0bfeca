#!/usr/bin/env bash
# Heartbeats under slow work (issue 18): 100 simulated workers poll while og-schedd
# verifies a --verify=fuzzy job with two 1 GiB HDF5 outputs and og-sacct lists 100,000
# finished jobs. Prints poll latency p50/p99 idle and busy, and the partitions og-schedd
# marked DOWN (its log). Workers must poll within --heartbeat-timeout 5 s here.
#   bench/heartbeat.sh BIN_DIR [SCHEDD_BINARY] [--jobs N] [--output-mb N] [--workers N]
# SCHEDD_BINARY (default BIN_DIR/og-schedd) lets two builds be compared in one run.
set -euo pipefail
bin=$(cd "${1:?usage: heartbeat.sh BIN_DIR [SCHEDD_BINARY] [--jobs N] [--output-mb N] [--workers N]}" && pwd); shift
schedd=$bin/og-schedd
[[ $# -gt 0 && $1 != --* ]] && { schedd=$(realpath "$1"); shift; }
jobs=100000 output_mb=1024 workers=100
while [[ $# -gt 0 ]]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --output-mb) output_mb=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) echo "heartbeat.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
base=/tmp; [[ -d /dev/shm && -w /dev/shm ]] && base=/dev/shm
dir=$(mktemp -d "$base/og-heartbeat.XXXXXX")
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
start() {
  rm -f "$dir/port"
  "$schedd" --state "$dir/state" --listen 127.0.0.1:0 --port-file "$dir/port" --allow-unsigned --quiet \
    --faucet 1000000 --max-connections-per-address 1024 --heartbeat-timeout 5 \
    --max-upload $((2 << 30)) --max-job-output $((4 << 30)) >>"$dir/schedd.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [[ -s $dir/port ]] && break; sleep 0.1; done
  [[ -s $dir/port ]] || { cat "$dir/schedd.log" >&2; exit 1; }
  url=http://127.0.0.1:$(cat "$dir/port")
}
# One finished job through the API, copied until there are $jobs of them.
start
export OG_SCHEDD_URL=$url OG_TOKEN_FILE=$dir/state/admin.token
"$bin/og-scontrol" add-user seeder >"$dir/seeder.token"
OG_TOKEN_FILE=$dir/seeder.token "$bin/og-wallet" deposit 10 >/dev/null
seeded=$(curl -sf -H "Authorization: Bearer $(cat "$dir/seeder.token")" -d \
  '{"job":{"name":"seed","script":"#!/bin/bash\ntrue\n","script_name":"seed.sh","time_limit_s":60,"hold":true}}' \
  "$url/og/v1/jobs" | sed -n 's/.*"job_id":\([0-9]*\).*/\1/p')
OG_TOKEN_FILE=$dir/seeder.token "$bin/og-scancel" "$seeded"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
"$bin/og-bench-heartbeat" seed "$dir/state/schedd.db" "$jobs"
start
export OG_SCHEDD_URL=$url
echo "og-schedd $schedd, state on $base, $(nproc) CPUs; og-sacct lists $(OG_TOKEN_FILE=$dir/seeder.token "$bin/og-sacct" -n -S 2000-01-01 | wc -l) jobs"
"$bin/og-bench-heartbeat" run --url "$url" --admin-token-file "$dir/state/admin.token" --bin-dir "$bin" \
  --workers "$workers" --output-mb "$output_mb" --work-dir "$dir" && rc=0 || rc=$?
echo "partitions marked DOWN: $(grep -c 'event=partition_down' "$dir/schedd.log" || true), leases lost: $(grep -c 'event=lease_lost' "$dir/schedd.log" || true)"
exit $rc
