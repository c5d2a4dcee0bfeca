#!/usr/bin/env bash
# A/B of the end-to-end figures between two builds: bench/ab.sh A_BIN B_BIN [ROUNDS].
# Each round starts a fresh `og-mesh up --workers 4 --cpus 2` from A's binaries, then from
# B's, and runs the same og-bench loads on each (idle latency over 50 jobs, 1,000 trivial
# jobs end to end, 3,000 API submissions), so both see the same VM weather.
set -euo pipefail
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
rounds=${3:-3}
work=$(mktemp -d /tmp/opengrid-ab.XXXXXX)
trap 'for d in "$work"/mesh-*; do [[ -d $d ]] && "$a/og-mesh" down --dir "$d" 2>/dev/null; done; rm -rf "$work"' EXIT

run() {  # run LABEL BIN_DIR ROUND
  local dir="$work/mesh-$1-$3"
  eval "$("$2/og-mesh" up --workers 4 --cpus 2 --dir "$dir" --schedd-opt --quiet --worker-opt --quiet)"
  local lat thr api
  lat=$("$2/og-bench" latency 50 | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p')
  thr=$("$2/og-bench" throughput 1000 | sed -n 's/.*jobs_per_s=\([0-9.]*\).*/\1/p')
  api=$("$2/og-bench" submit 3000 2 | sed -n 's/.*submissions_per_s=\([0-9.]*\).*/\1/p')
  "$2/og-mesh" down --dir "$dir"
  echo "$1 round=$3 idle_latency_median_ms=$lat jobs_per_s=$thr api_submissions_per_s=$api"
}

for ((r = 1; r <= rounds; r++)); do
  run A "$a" "$r"
  run B "$b" "$r"
done
