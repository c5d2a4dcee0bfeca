#!/usr/bin/env bash
# The verification figures of docs/benchmarks.md:
#  1. manifest hashing (what a worker does for every replica's outputs) against sha256sum
#     over the same files, on tmpfs so the disk is not what is measured;
#  2. end-to-end throughput with --replicas=3 with payments on (escrow lock, quorum,
#     settlement) and off (og-schedd --ledger none), and with one replica for reference.
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
export PATH=$bin:$PATH
work=$(mktemp -d /dev/shm/opengrid-verify.XXXXXX)
trap 'for d in "$work"/mesh-*; do [[ -d $d ]] && og-mesh down --dir "$d" 2>/dev/null; done; rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"

# 1. Large files (8 x 128 MiB) and many small ones (4,000 x 16 KiB).
mkdir -p "$work/big" "$work/small"
for i in $(seq 8); do head -c 128M /dev/urandom >"$work/big/f$i"; done
for i in $(seq 4000); do head -c 16K /dev/urandom >"$work/small/f$i"; done
for set in big small; do
  for round in 1 2 3; do
    start=$(date +%s%N)
    (cd "$work/$set" && find . -type f -print0 | xargs -0 sha256sum >/dev/null)
    end=$(date +%s%N)
    bytes=$(du -sb "$work/$set" | cut -f1)
    ref=$(awk -v b="$bytes" -v ns=$((end - start)) 'BEGIN { printf "%.0f", b / 1048576 / (ns / 1e9) }')
    ours=$(og-bench hash "$work/$set" | sed -n 's/.*mib_per_s=\([0-9]*\).*/\1/p')
    echo "hash set=$set round=$round sha256sum_mib_per_s=$ref og_manifest_mib_per_s=$ours ratio=$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')"
  done
done
rm -rf "$work/big" "$work/small"

# 2. Adaptive replication, simulated: replica runs per job and cheaters caught.
for args in "--cheaters 0" "" "--trust-after 0" "--spot-check 0.05"; do
  # shellcheck disable=SC2086
  echo "og-sim --trust $args: $(og-sim --trust $args | tr -d '\n ')"
done

# 2b. Sybil attackers against each defence (og-schedd's own placement and settlement code).
for args in "" "--sybils 4" "--sybils 2 --honest 4" "--sybils 2 --replicas 5"; do
  # shellcheck disable=SC2086
  echo "og-sim --sybil $args:"; og-sim --sybil $args
done

# 3. 300 trivial jobs per run, 4 workers x 2 CPUs, job directories on tmpfs.
run() {  # run LABEL REPLICAS SCHEDD_OPTS
  local dir="$work/mesh-$1"
  eval "$(og-mesh up --workers 4 --cpus 2 --dir "$dir" --scratch "$work/scratch-$1" --schedd-opt "--quiet $3" --worker-opt --quiet)"
  echo "$1 $(og-bench throughput 300 "$2")"
  og-mesh down --dir "$dir"
}
for round in 1 2 3; do
  run "payments-on-r3-$round" 3 ""
  run "payments-off-r3-$round" 3 "--ledger none"
  run "payments-on-r1-$round" 1 ""
done
