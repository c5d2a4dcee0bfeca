#!/usr/bin/env bash
# What payments cost API submissions: bench/payments.sh [BIN_DIR] [ROUNDS] [N].
# Each round starts `og-mesh up --workers 4 --cpus 2` twice — og-schedd with its embedded
# ledger, then with `--ledger none` — and runs `og-bench submit N 2` on each (N held
# submissions over 2 keep-alive clients, each acknowledged after its commit), so both see
# the same VM weather. Prints each round and the medians, and payments' share of the rate.
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
rounds=${2:-5}
n=${3:-3000}
work=$(mktemp -d /tmp/opengrid-pay.XXXXXX)
trap 'for d in "$work"/mesh-*; do [[ -d $d ]] && "$bin/og-mesh" down --dir "$d" 2>/dev/null; done; rm -rf "$work"' EXIT

run() {  # run LABEL ROUND [og-schedd options]
  local dir="$work/mesh-$1-$2"
  eval "$("$bin/og-mesh" up --workers 4 --cpus 2 --dir "$dir" --schedd-opt "--quiet ${3:-}" --worker-opt --quiet)"
  local rate
  rate=$("$bin/og-bench" submit "$n" 2 | sed -n 's/.*submissions_per_s=\([0-9.]*\).*/\1/p')
  "$bin/og-mesh" down --dir "$dir"
  echo "$1 round=$2 submissions_per_s=$rate" >&2
  echo "$rate"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
paid=() free=()
for ((r = 1; r <= rounds; r++)); do
  paid+=("$(run payments "$r")")
  free+=("$(run no-ledger "$r" "--ledger none")")
done
p=$(printf '%s\n' "${paid[@]}" | median)
f=$(printf '%s\n' "${free[@]}" | median)
echo "median submissions_per_s: payments=$p no_ledger=$f payments_cost=$(awk -v p="$p" -v f="$f" 'BEGIN {printf "%.1f%%", 100 * (f - p) / f}')"
