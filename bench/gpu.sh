#!/usr/bin/env bash
# The GPU path run for real (issue 22), in minutes, on a machine with an NVIDIA GPU:
#   1. og_gpu_tests: og-train-gpu's MLP (cuBLAS) against the CPU path, to rounding;
#   2. throughput of one epoch (batch 64, evaluation left out): og-train-gpu on 1 GPU, on
#      2 GPUs over NCCL when there are two, og-train on the CPU, and PyTorch on the same GPU
#      when python3-torch has CUDA there (median of ROUNDS, 3);
#   3. the mesh's binding on the real driver: a jailed job asking --gres=gpu:1 runs
#      og-train-gpu, sees one GPU (nvidia-smi -L inside, when the jail shows it) and
#      trains on it.
# Without a GPU it says so and exits 0. usage: bench/gpu.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
bin=$build/bin
rounds=${ROUNDS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PATH=$bin:$PATH
if ! command -v nvidia-smi >/dev/null || ! gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU '); then
  echo "bench/gpu.sh: SKIPPED: no NVIDIA GPU here (nvidia-smi absent or failing)"
  exit 0
fi
if [[ ! -x $bin/og-train-gpu ]]; then
  echo "bench/gpu.sh: og-train-gpu was not built: CUDA (nvcc, cuBLAS) and NCCL are needed at build time" >&2
  exit 1
fi
work=$(mktemp -d /tmp/og-bench-gpu.XXXXXX)
trap '[[ -d $work/mesh ]] && og-mesh down --dir "$work/mesh" 2>/dev/null; rm -rf "$work"' EXIT
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
echo "## 1. GPU against CPU, to rounding"
"$build/tests/og_gpu_tests" --gtest_brief=1

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
rate() { sed -n 's/^throughput: \([0-9]*\).*/\1/p'; }
: >"$work/g1"; : >"$work/g2"; : >"$work/cpu"; : >"$work/pt"
torch_cuda=$(/usr/bin/python3 -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
for _ in $(seq "$rounds"); do
  og-train-gpu --device gpu --epochs 1 --out "$work/r" | rate >>"$work/g1"
  [[ $gpus -ge 2 ]] && mpirun --oversubscribe -np 2 og-train-gpu --device gpu --epochs 1 --out "$work/r" | rate >>"$work/g2"
  og-train --device cpu --epochs 1 --out "$work/r" | rate >>"$work/cpu"
  [[ $torch_cuda == 1 ]] && /usr/bin/python3 "$(dirname "$0")/train_pytorch.py" 1 64 cuda |
    sed -n 's/.*samples_per_s=\([0-9]*\).*/\1/p' >>"$work/pt"
done
echo "## 2. MLP throughput, samples/s (median of $rounds, batch 64)"
echo "| og-train-gpu 1 GPU | og-train-gpu 2 GPUs (NCCL) | og-train CPU | PyTorch same GPU |"
echo "|---|---|---|---|"
echo "| $(median <"$work/g1") | $([[ -s $work/g2 ]] && median <"$work/g2" || echo "one GPU only") | $(median <"$work/cpu") | $([[ -s $work/pt ]] && median <"$work/pt" || echo "no PyTorch with CUDA") |"

echo "## 3. A jailed job bound to one GPU"
if [[ $(id -u) -ne 0 ]]; then echo "SKIPPED: the jail needs root"; exit 0; fi
eval "$(og-mesh up --workers 1 --cpus 2 --dir "$work/mesh" --schedd-opt --quiet --worker-opt "--quiet --isolation jail")"
og-sinfo -o "%P %G"
cp "$bin/og-train-gpu" "$work/og-train-gpu"
cat >"$work/gpu-job.sh" <<'JOB'
#!/bin/bash
#SBATCH --gres=gpu:1 -c 2 -t 10
echo "SLURM_JOB_GPUS=$SLURM_JOB_GPUS CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"
ls /dev | grep '^nvidia' | tr '\n' ' '; echo
./og-train-gpu --device gpu --epochs 1 --train-limit 6400 --test-limit 1000 --out r | grep -E 'throughput|GPU'
JOB
(cd "$work" && og-sbatch --wait --input og-train-gpu gpu-job.sh >/dev/null && cat slurm-*.out)
