#!/usr/bin/env bash
# The AI workloads (issue 23): each job script's program run directly on this machine
# against the same job submitted through OpenGrid (og-sbatch --wait, one replica, on a
# jailed worker of the same CPUs, data staged by digest), interleaved, ROUNDS rounds
# (default 5), medians, after one warm-up
# round each (not counted: it pulls the model into the worker's cache, once per provider). The direct run gets the same thread count and environment
# (ai/job-setup.sh); both run on the host's Debian packages (no image), so the difference is
# what OpenGrid adds: scheduling, the jail, staging, uploading and verifying the outputs.
#   bench/ai.sh [build/bin]      (root; needs python3-torch, python3-sentencepiece, blender)
#   WORKLOADS="train blender" bench/ai.sh    measures only those (default: all four; "none":
#                                            only the og-train and validation figures)
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in examples/ai, which jobs ship
bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
rounds=${ROUNDS:-5}
work=$(mktemp -d /tmp/opengrid-bench-ai.XXXXXX)
trap 'og-mesh down --dir "$work/mesh" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
[[ $(id -u) -eq 0 ]] || { echo "bench/ai.sh: SKIPPED: the jail needs root"; exit 0; }
python=/usr/bin/python3

# A validator too, for the scored LLM job at the end: it runs no jobs, so it takes nothing
# from the measurements before.
eval "$(og-mesh up --workers 1 --validators 1 --cpus 2 --registry --dir "$work/mesh")" >/dev/null
$python "$src/examples/ai/make_test_llama.py" "$work/llama" --layers 4 --hidden 512 --heads 8 --kv-heads 4 --vocab 2000 >/dev/null
og-data push "$work/llama" "$OG_REGISTRY/bench/llama:1" >/dev/null
printf '%s\n' 'The quick brown fox' 'What is free software?' 'Everyone is permitted' 'Hello' >"$work/prompts.txt"

# The job's view: the code in ai/, two CPUs; direct runs get the same.
setup() { rm -rf "$1" && mkdir -p "$1" && cp -r "$src/examples/ai" "$1/ai" && cp "$work/prompts.txt" "$1/"; }
direct() {  # DIR COMMAND...: seconds of wall time
  local dir=$1; shift
  (cd "$dir" && export SLURM_CPUS_ON_NODE=2 && source ai/job-setup.sh && start=$(date +%s.%N) &&
    "$@" >/dev/null 2>&1 && echo "$(date +%s.%N) - $start" | bc)
}
mesh() {  # DIR OG-SBATCH-ARGS...: seconds from submission to the result back
  local dir=$1; shift
  (cd "$dir" && start=$(date +%s.%N) && og-sbatch --wait --replicas=1 "$@" >/dev/null 2>"$work/sbatch.err" &&
    echo "$(date +%s.%N) - $start" | bc) || { echo "bench/ai.sh: og-sbatch $* failed:" >&2; cat "$work/sbatch.err" >&2; exit 1; }
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

workloads=${WORKLOADS:-llm train ddpm blender}
declare -A times
measure() {  # NAME, then the direct command and the og-sbatch arguments, split by --
  local name=$1; shift
  [[ " $workloads " == *" $name "* ]] || return 0
  local -a plain=() submitted=()
  while [[ $1 != -- ]]; do plain+=("$1"); shift; done
  shift
  submitted=("$@")
  setup "$work/w" && mesh "$work/w" "${submitted[@]}" >/dev/null 2>&1
  for ((r = 0; r < rounds; r++)); do
    setup "$work/d"; times[$name.direct]+="$(direct "$work/d" "${plain[@]}") "
    setup "$work/m"; times[$name.mesh]+="$(mesh "$work/m" "${submitted[@]}") "
  done
}

ex=$src/jobscripts/examples
measure llm $python ai/llm_generate.py --model "$work/llama" --prompts prompts.txt --max-new-tokens 200 -- \
  --data=model=$OG_REGISTRY/bench/llama:1 "$ex/llm-inference.sh" --max-new-tokens 200
measure train $python ai/mnist_train.py --epochs 1 --model cnn -- "$ex/train-pytorch-mnist.sh" --epochs 1 --model cnn
measure ddpm $python ai/ddpm_train.py --steps 100 --channels 16 -- "$ex/ddpm-train.sh" --steps 100 --channels 16
frames=6
blender_frames() { for f in $(seq 1 $frames); do
  blender -b --factory-startup -noaudio --python-exit-code 2 -P ai/blender_scene.py -- --frame "$f" --frames $frames \
    --samples 16 --size 320x180 || return 1; done; }
export -f blender_frames; export frames
measure blender bash -c blender_frames -- --array=0-$((frames - 1)) "$ex/render-blender.sh" --samples 16 --size 320x180

printf '%-8s %12s %12s %9s   (median of %d, seconds)\n' workload direct opengrid overhead "$rounds"
for name in $workloads; do
  [[ -n ${times[$name.direct]:-} ]] || continue  # not one of the four
  d=$(echo "${times[$name.direct]}" | tr ' ' '\n' | grep . | median)
  m=$(echo "${times[$name.mesh]}" | tr ' ' '\n' | grep . | median)
  printf '%-8s %12.2f %12.2f %8.1f%%   direct: %s  opengrid: %s\n' "$name" "$d" "$m" "$(echo "($m - $d) * 100 / $d" | bc -l)" \
    "${times[$name.direct]}" "${times[$name.mesh]}"
done
echo "llm: 4 prompts x 200 tokens = 800 tokens; blender: $frames frames (seconds per frame: divide by $frames)"

# The PyTorch job's trainer beside og-train (the same MLP, optimizer, schedule and batch),
# both on 2 CPUs with a checkpoint each epoch: wall time of 3 epochs and test accuracy.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
setup "$work/t"
og_s=$(cd "$work/t" && start=$(date +%s.%N) && mpirun --oversubscribe -np 2 "$bin/og-train" --epochs 3 --out og >/dev/null &&
  echo "$(date +%s.%N) - $start" | bc)
pt_s=$(direct "$work/t" $python ai/mnist_train.py --epochs 3 --out .)
printf 'mlp x 3 epochs  og-train (2 ranks): %.1f s, accuracy %s   PyTorch job (2 threads): %.1f s, accuracy %s\n' \
  "$og_s" "$(tail -1 "$work/t/og/metrics.csv" | cut -d, -f6)" "$pt_s" "$(tail -1 "$work/t/metrics.csv" | cut -d, -f3)"

# Score verification's cost for the LLM example (issue 24): a validator reading two
# replicas' answers back through the model (ai/llm_score.py, one forward pass an answer)
# against the replicas generating them, wall time of each program, median of $rounds.
gen=() score=()
for ((r = 0; r < rounds; r++)); do
  setup "$work/s"
  gen+=("$(direct "$work/s" $python ai/llm_generate.py --model "$work/llama" --prompts prompts.txt --max-new-tokens 200)")
  mkdir -p "$work/s/r1" "$work/s/r2" && cp "$work/s/answers.jsonl" "$work/s/r1/" && cp "$work/s/answers.jsonl" "$work/s/r2/"
  score+=("$(direct "$work/s" $python ai/llm_score.py --model "$work/llama" --prompts prompts.txt r1 r2)")
done
g=$(printf '%s\n' "${gen[@]}" | median) v=$(printf '%s\n' "${score[@]}" | median)
printf 'llm validation: generating 800 tokens %.2f s a replica; scoring 2 replicas %.2f s: %.1f %% of the replicas'"'"' compute\n' \
  "$g" "$v" "$(echo "$v * 100 / (2 * $g)" | bc -l)"
# The same without the interpreter's start and the model's load (the programs' own timings).
gen_s=$(cd "$work/s" && source ai/job-setup.sh && SLURM_CPUS_ON_NODE=2 $python ai/llm_generate.py --model "$work/llama" \
  --prompts prompts.txt --max-new-tokens 200 | sed -n 's/.* tokens in \([0-9.]*\) s.*/\1/p')
score_s=$(cd "$work/s" && source ai/job-setup.sh && SLURM_CPUS_ON_NODE=2 $python ai/llm_score.py --model "$work/llama" \
  --prompts prompts.txt r1 r2 2>&1 >/dev/null | sed -n 's/.*scored in \([0-9.]*\) s/\1/p')
printf 'llm validation, compute alone: generating %.2f s a replica; scoring 2 replicas %.2f s: %.1f %%\n' \
  "$gen_s" "$score_s" "$(echo "$score_s * 100 / (2 * $gen_s)" | bc -l)"

# The same through the mesh: llm-sample.sh on one replica, scored by the mesh's validator;
# each lease's time from its worker collecting it to its report (the job's events), so
# the validator's includes fetching the replica's outputs. Median of $rounds.
lease_seconds() {  # JOB: "REPLICA_SECONDS VALIDATOR_SECONDS" from its events
  $python - "$1" <<'PY'
import json, os, sys, urllib.request
req = urllib.request.Request(f"{os.environ['OG_SCHEDD_URL']}/og/v1/jobs/{sys.argv[1]}/events",
                             headers={"Authorization": "Bearer " + open(os.environ["OG_TOKEN_FILE"]).read().strip()})
started, took, validates = {}, {}, set()
for e in json.load(urllib.request.urlopen(req))["events"]:
    lease = e["context"].get("lease")
    if e["name"] == "replica_assigned" and e["context"].get("validates"): validates.add(lease)
    if e["name"] == "replica_started": started[lease] = e["time_us"]
    if e["name"] == "replica_reported": took[lease] = (e["time_us"] - started[lease]) / 1e6
print(sum(t for l, t in took.items() if l not in validates), sum(t for l, t in took.items() if l in validates))
PY
}
replica_s=() validator_s=()
for ((r = 0; r < rounds; r++)); do
  setup "$work/v"
  id=$(cd "$work/v" && og-sbatch --parsable --wait --replicas=1 --verify=score:ai/score-llm.sh:0.01 \
    --data=model=$OG_REGISTRY/bench/llama:1 "$ex/llm-sample.sh" --max-new-tokens 200 2>/dev/null)
  read -r rs vs < <(lease_seconds "$id")
  replica_s+=("$rs") validator_s+=("$vs")
done
rs=$(printf '%s\n' "${replica_s[@]}" | median) vs=$(printf '%s\n' "${validator_s[@]}" | median)
printf 'llm validation through the mesh: the replica %.2f s, its validation %.2f s: %.1f %%   replica: %s  validator: %s\n' \
  "$rs" "$vs" "$(echo "$vs * 100 / $rs" | bc -l)" "${replica_s[*]}" "${validator_s[*]}"
