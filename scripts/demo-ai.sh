#!/usr/bin/env bash
# make demo-ai: the four AI workloads of jobscripts/examples on a local mesh with a local
# OCI registry — LLM inference, PyTorch training, image generation (train, then sample
# with afterok) and a Blender render farm — each in its image (images/pytorch,
# images/blender, built from Debian packages), two providers per job (one and a spot check
# once they are trusted: adaptive replication), and what each
# brought back, with the payments; sampled LLM answers scored by a validator. Results land in OUT (default ./ai-demo); it exits
# non-zero if any job failed. DDPM_STEPS, FRAMES and SAMPLES change the budget.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in examples/ai, which jobs ship

bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
out=${OUT:-$PWD/ai-demo}
ddpm_steps=${DDPM_STEPS:-1500}
frames=${FRAMES:-12}
samples=${SAMPLES:-16}
work=$(mktemp -d /tmp/opengrid-ai.XXXXXX)
trap 'og-mesh down --dir "$work/mesh" 2>/dev/null || true' EXIT
. "$src/scripts/demo-common.sh"
python=/usr/bin/python3

step "A local mesh with a registry: og-schedd, 2 jailed og-workers of 2 CPUs, a validator, docker-registry"
eval "$(og-mesh up --workers 2 --validators 1 --cpus 2 --registry --dir "$work/mesh" --worker-opt "--price 0.05")"

step "The images (images/pytorch, images/blender) from Debian packages, pushed to $OG_REGISTRY"
OG_IMAGE_BUILD_DIR=$src/build/images "$src/scripts/build-images.sh" pytorch blender
pytorch=$OG_REGISTRY/og/pytorch:1 blender=$OG_REGISTRY/og/blender:1

step "Data staged by digest: Fashion-MNIST, and a small Llama-family model (random weights: none can be downloaded here)"
og-data push /usr/share/datasets/fashion-mnist "$OG_REGISTRY/og/fashion-mnist:1"
$python "$src/examples/ai/make_test_llama.py" "$work/llama" --layers 4 --hidden 256 --heads 8 --kv-heads 4 --vocab 1000
og-data push "$work/llama" "$OG_REGISTRY/me/llama:1"

rm -rf "$out" && mkdir -p "$out"
# Each workload from a directory of its own holding ai/, as its job script's comment says.
workdir() { mkdir -p "$out/$1" && cp -r "$src/examples/ai" "$out/$1/ai" && cd "$out/$1"; }
fmnist=--data=fashion-mnist=$OG_REGISTRY/og/fashion-mnist:1
jobs=()
# og-sbatch --wait, timed; the job id (or array id) is appended to jobs.
run() {
  local started=$(date +%s) said
  said=$(og-sbatch --wait "$@")
  echo "$said (in $(($(date +%s) - started)) s)"
  jobs+=("$(echo "$said" | sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' | head -1)")
}

step "1/4 LLM inference: greedy answers, the same tokens on both providers"
workdir llm
printf '%s\n' 'The quick brown fox' 'What is free software?' 'Everyone is permitted to copy' 'Hello' >prompts.txt
run --container-image="$pytorch" --data=model=$OG_REGISTRY/me/llama:1 "$src/jobscripts/examples/llm-inference.sh" --max-new-tokens 24
$python - <<'PY'
import json
for line in open("answers.jsonl"):
    a = json.loads(line)
    print("  %r -> %d tokens: %r" % (a["prompt"], len(a["tokens"]), a["answer"][:60]))
PY
echo "Sampled answers (temperature 0.8, a seed of its own on each provider) never agree byte for"
echo "byte: the validator reads each provider's answers back through the model and scores them"
echo "(--verify=score; 0.01 suits this random-weight model, 0.1 a real one):"
workdir llm-sampled
cp ../llm/prompts.txt .
run --container-image="$pytorch" --data=model=$OG_REGISTRY/me/llama:1 --verify=score:ai/score-llm.sh:0.01 \
  "$src/jobscripts/examples/llm-sample.sh" --max-new-tokens 24
og-scontrol show job "${jobs[-1]}" | grep -E '^   (Lease|Validation)='

step "2/4 PyTorch training: Fashion-MNIST, a checkpoint milestone per epoch"
workdir train
run --container-image="$pytorch" "$fmnist" "$src/jobscripts/examples/train-pytorch-mnist.sh" --epochs 3
column -s, -t metrics.csv

step "3/4 Image generation: a diffusion model trained ($ddpm_steps steps), then sampled by an array that waits for it"
workdir diffusion
train=$(og-sbatch --parsable --container-image="$pytorch" "$fmnist" "$src/jobscripts/examples/ddpm-train.sh" \
  --steps "$ddpm_steps" --channels 16 --checkpoint-every 500 --log-every 100)
train=${train%%;*}
jobs+=("$train")
echo "training: job $train"
run --dependency=afterok:"$train" --data=ddpm=job:"$train" --container-image="$pytorch" \
  "$src/jobscripts/examples/ddpm-sample.sh" --count 16 --steps 40
og-fetch "$train" >/dev/null
column -s, -t losses.csv
$python ai/assemble_frames.py samples-{0..9}.png --sheet samples-sheet.png --apng "" --columns 1 --thumb 448

step "4/4 Blender render farm: $frames frames, Cycles on the CPU, verified by their pixels"
workdir render
run --array=0-$((frames - 1)) --container-image="$blender" "$src/jobscripts/examples/render-blender.sh" \
  --samples "$samples" --size 320x180
$python ai/assemble_frames.py frame-*.png --columns 4 --thumb 240

step "Each job: its state, how its replicas were judged, what it cost"
failed=0
for job in "${jobs[@]}"; do
  await_settled "$job" || true
  og-sacct -j "$job" --payment -n | sed 's/^/  /'
  og-sacct -j "$job" -n -o State -X | grep -qv COMPLETED && failed=1
done
og-wallet --token-file "$work/mesh/worker-1.token" history -n 5

step "What came back into $out"
cd "$out" && ls -l {llm,llm-sampled}/answers.jsonl train/{model.safetensors,metrics.csv} diffusion/{ddpm.safetensors,losses.csv,samples-sheet.png} \
  render/{contact-sheet.png,turn.png}
og-mesh down --dir "$work/mesh"
if [[ $failed -ne 0 ]]; then
  echo "demo-ai: a job did not complete (og-sacct above)" >&2
  exit 1
fi
echo "demo-ai: all four workloads completed; look at $out/diffusion/samples-sheet.png, $out/render/contact-sheet.png and $out/render/turn.png"
