#!/usr/bin/env bash
# How long a job step takes to start and end: `srun -n2 true`, STEPS times, inside a
# batch job of Slurm 22.05 (scripts/slurm-local.sh; its default --mpi=none) and with
# og-srun in a job's environment on this machine (--mpi=none, and --mpi=pmix: through
# Open MPI's mpirun). Prints the median and p90 per step, in milliseconds.
# usage: bench/srun.sh [BIN_DIR]   env: STEPS (20)
set -euo pipefail

bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
steps=${STEPS:-20}
work=$(mktemp -d /tmp/og-srun-bench.XXXXXX)
trap '"$src/scripts/slurm-local.sh" stop "$work/slurm" >/dev/null 2>&1; rm -rf "$work"' EXIT
chmod 755 "$work"  # munged and slurmrestd run as their own users

# Milliseconds each run of "$@" took, one per line.
timings() {
  local i start
  for ((i = 0; i < steps; ++i)); do
    start=$EPOCHREALTIME
    "$@" >/dev/null
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
  done
}
summary() { sort -n | awk '{ v[NR] = $1 } END { printf "median %6.1f ms   p90 %6.1f ms\n", v[int((NR + 1) / 2)], v[int(0.9 * NR + 0.999)] }'; }

# ---- Slurm's srun, inside a batch job -----------------------------------------------------
eval "$("$src/scripts/slurm-local.sh" start "$work/slurm" 2 2)"
mkdir -p "$work/s"
cat >"$work/s/steps.sh" <<SCRIPT
#!/bin/bash
#SBATCH -N1 -n2 -c1 -t 10
$(declare -f timings)
steps=$steps
timings srun -n2 true
SCRIPT
id=$(sbatch --parsable --chdir="$work/s" -o times.txt "$work/s/steps.sh")
until [[ -z $(squeue -h -j "$id" 2>/dev/null) ]]; do sleep 0.2; done
printf '%-28s' "Slurm 22.05 srun -n2 true"
summary <"$work/s/times.txt"

# ---- og-srun, in the environment og-worker gives a job ----------------------------------
mkdir -p "$work/job/.og/bin"
cp "$bin/og-srun" "$work/job/.og/bin/srun"
export SLURM_JOB_ID=1 SLURMD_NODENAME=bench SLURM_NTASKS=2 SLURM_CPUS_PER_TASK=1 SLURM_CPUS_ON_NODE=2 \
  SLURM_JOB_NUM_NODES=1 SLURM_NNODES=1 SLURM_JOB_CPUS_PER_NODE=2 OG_JOB_DIR="$work/job" \
  OMPI_MCA_plm=^slurm OMPI_MCA_ras=^slurm PATH="$work/job/.og/bin:$PATH"
for mpi in none pmix; do
  printf '%-28s' "og-srun -n2 --mpi=$mpi true"
  timings srun -n2 --mpi=$mpi true | summary
done
