#!/usr/bin/env bash
# make demo-train: the training job (jobscripts/examples/train-fashion-mnist.sh) on a local
# mesh of two providers, each running og-train on two MPI ranks in its jail. The two
# replicas must agree on the model byte for byte; each epoch's checkpoint is a milestone
# that pays as it is reached. The model, the metrics (CSV, JSON) and the learning curves
# (PNG) come back into OUT (default ./train-demo). MODEL=cnn and EPOCHS=N change the run.
set -euo pipefail

bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
model=${MODEL:-mlp}
epochs=${EPOCHS:-5}
out=${OUT:-$PWD/train-demo}
work=$(mktemp -d /tmp/opengrid-train.XXXXXX)
trap 'og-mesh down --dir "$work/mesh" 2>/dev/null || true' EXIT

. "$src/scripts/demo-common.sh"

step "Starting a local mesh: og-schedd + 2 og-workers offering 2 CPUs each (state in $work/mesh)"
eval "$(og-mesh up --workers 2 --cpus 2 --dir "$work/mesh" --worker-opt "--price 0.05")"
og-sinfo

step "Submitting the training job from $out: $model, $epochs epochs, 2 ranks, 2 replicas"
rm -rf "$out" && mkdir -p "$out" && cd "$out"
cp "$bin/og-train" "$src/jobscripts/examples/train-fashion-mnist.sh" .
grep '^#' train-fashion-mnist.sh | sed -n '7,13p'
started=$(date +%s)
submitted=$(og-sbatch --wait train-fashion-mnist.sh --model "$model" --epochs "$epochs")
echo "$submitted (finished in $(($(date +%s) - started)) s)"
job=${submitted##* }

await_replicas_done "$job" 2
step "The two replicas and their output hashes"
og-scontrol show job "$job" | tee "$work/job.txt"
roots=$(grep -o 'Root=[0-9a-f]*' "$work/job.txt" | sed 's/Root=//' | sort -u | grep -v '^$' || true)
state=$(grep -o 'JobState=[A-Z_]*' "$work/job.txt")

step "Payment: a milestone for each epoch's checkpoint, then the rest at the end"
await_settled "$job"
og-sacct -j "$job" --payment
echo "worker-1's wallet:"; og-wallet --token-file "$work/mesh/worker-1.token" history -n 8

step "What came back into $out"
ls -l model.h5 checkpoint.h5 metrics.csv metrics.json curves.png
column -s, -t metrics.csv
accuracy=$(tail -1 metrics.csv | cut -d, -f6)

step "Verdict"
if [[ $state == JobState=COMPLETED && $(echo "$roots" | wc -l) -eq 1 && -s model.h5 && -s curves.png ]]; then
  echo "COMPLETED: both providers produced model $roots; test accuracy $accuracy; plot: $out/curves.png"
else
  echo "demo-train FAILED: $state, roots: $roots" >&2
  exit 1
fi
