#!/usr/bin/env bash
# The training workload's figures for docs/benchmarks.md, measured in one run:
#   1. MLP training throughput (samples/s, batch 64, one epoch, evaluation left out):
#      og-train on 1 and 2 ranks against PyTorch 1.13 CPU (Debian python3-torch) training
#      the same model with the same optimizer on 1 and 2 threads, interleaved, median of
#      ROUNDS (3); under OpenBLAS's own kernel choice and, where the CPU has AVX-512, the
#      SkylakeX kernel for both.
#   2. The GPU path's throughput where a GPU is present (skipped, saying why, elsewhere);
#      MPI_Allreduce at the gradient's size against memcpy (og-bench-allreduce, 2 ranks).
#   3. Test accuracy after the documented budget: MLP 10 epochs, CNN 3 epochs (2 ranks).
# usage: bench/train.sh [BIN_DIR]   (SKIP_ACCURACY=1 leaves out part 3)
set -euo pipefail

bin=$(cd "${1:-build/bin}" && pwd)
rounds=${ROUNDS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/og-bench-train.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch >&2
  else
    echo "bench/train.sh needs PyTorch for its anchor: apt-get install python3-torch (as root)" >&2
    exit 1
  fi
fi

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
og_rate() { # ranks, extra env
  local ranks=$1
  if [[ $ranks == 1 ]]; then
    env ${2:+OPENBLAS_CORETYPE=$2} "$bin/og-train" --epochs 1 --out "$work/r" | sed -n 's/^throughput: \([0-9]*\).*/\1/p'
  else
    mpirun --oversubscribe -np "$ranks" ${2:+-x OPENBLAS_CORETYPE=$2} "$bin/og-train" --epochs 1 --out "$work/r" |
      sed -n 's/^throughput: \([0-9]*\).*/\1/p'
  fi
}
torch_rate() { # threads, core
  env ${2:+OPENBLAS_CORETYPE=$2} /usr/bin/python3 "$(dirname "$0")/train_pytorch.py" "$1" 64 |
    sed -n 's/.*samples_per_s=\([0-9]*\).*/\1/p'
}

cores=("")
grep -qw avx512f /proc/cpuinfo && cores+=(SkylakeX)
echo "## MLP throughput, samples/s (median of $rounds, batch 64, $(nproc) cores)"
echo "| BLAS kernel | og-train 1 rank | og-train 2 ranks | PyTorch 1 thread | PyTorch 2 threads | og 1 rank / best PyTorch |"
echo "|---|---|---|---|---|---|"
for core in "${cores[@]}"; do
  : >"$work/og1"; : >"$work/og2"; : >"$work/pt1"; : >"$work/pt2"
  for _ in $(seq "$rounds"); do
    og_rate 1 "$core" >>"$work/og1"
    og_rate 2 "$core" >>"$work/og2"
    torch_rate 1 "$core" >>"$work/pt1"
    torch_rate 2 "$core" >>"$work/pt2"
  done
  og1=$(median <"$work/og1"); og2=$(median <"$work/og2"); pt1=$(median <"$work/pt1"); pt2=$(median <"$work/pt2")
  best=$((pt1 > pt2 ? pt1 : pt2))
  chosen=$(env ${core:+OPENBLAS_CORETYPE=$core} "$bin/og-train" --epochs 1 --train-limit 64 --test-limit 8 \
    --out "$work/n" | sed -n 's/.*BLAS \([A-Za-z0-9]*\),.*/\1/p')
  name=$([[ -n $core ]] && echo "$chosen (OPENBLAS_CORETYPE)" || echo "$chosen (OpenBLAS's choice)")
  echo "| $name | $og1 | $og2 | $pt1 | $pt2 | $(awk -v a="$og1" -v b="$best" 'BEGIN {printf "%.2f", a / b}') |"
done

echo
echo "## GPU path (og-train-gpu --device gpu: cuBLAS, NCCL between ranks)"
if [[ ! -x $bin/og-train-gpu ]]; then
  echo "skipped: og-train-gpu was not built (no CUDA or NCCL at build time)"
elif ! why=$("$bin/og-train-gpu" --device gpu --epochs 1 --train-limit 64 --test-limit 8 --out "$work/g" 2>&1); then
  echo "skipped: ${why##*error: }"
else
  for ranks in 1 2; do
    rate=$(mpirun --oversubscribe -np "$ranks" "$bin/og-train-gpu" --device gpu --epochs 1 --out "$work/g" |
      sed -n 's/^throughput: \([0-9]*\).*/\1/p')
    echo "- $ranks rank(s): $rate samples/s (MLP, batch 64, one epoch)"
  done
fi

echo
echo "## MPI_Allreduce at the gradient's size (2 ranks) vs memcpy"
echo '```'
mpirun --oversubscribe -np 2 "$bin/og-bench-allreduce"
echo '```'

[[ ${SKIP_ACCURACY:-0} == 1 ]] && exit 0
echo
echo "## Test accuracy after the budget (2 ranks, batch 64, seed 1)"
for run in "mlp 10" "cnn 3"; do
  set -- $run
  start=$(date +%s)
  acc=$(mpirun --oversubscribe -np 2 "$bin/og-train" --model "$1" --epochs "$2" --out "$work/$1" |
    sed -n 's/^final test accuracy //p')
  echo "- $1, $2 epochs: test accuracy $acc ($(($(date +%s) - start)) s)"
done
