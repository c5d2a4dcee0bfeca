#!/bin/bash
# Trains a Fashion-MNIST classifier with og-train on two MPI ranks. Submit it from a
# directory holding the og-train binary (it travels in the signed bundle, so every
# provider runs the same code), with og-train's options as arguments:
#   cp build/bin/og-train . && og-sbatch --wait jobscripts/examples/train-fashion-mnist.sh --epochs 10
# Brings back model.h5, checkpoint.h5, metrics.csv, metrics.json and curves.png.
#SBATCH --job-name=train-fmnist
#SBATCH --ntasks=2
#SBATCH --time=01:00:00
#OG --replicas=2
#OG --input=og-train
# Replicas must agree byte for byte on the model, and do: fixed seed, fixed data order,
# exact gradient sums. Stdout carries timings, so it is not voted on.
#OG --exclude-stdio
set -euo pipefail

# Open MPI refuses root unless told (a jailed job runs as its own uid anyway).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The same BLAS kernel on every x86-64 provider with AVX2, whatever its CPU: kernels round
# differently, and OpenBLAS picks one per CPU.
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
fi

# --resume auto: a requeued job continues from the last checkpoint it was handed.
# --device cpu: GPU and CPU results differ in the last bits (pass --device gpu, with
# #SBATCH --gpus, when every replica runs on a GPU).
mpirun --oversubscribe -np "${SLURM_NTASKS:-2}" ./og-train --resume auto --device cpu "$@"
