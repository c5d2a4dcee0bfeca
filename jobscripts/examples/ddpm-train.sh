#!/bin/bash
# Image generation, part 1: trains the small class-conditional diffusion model of
# ai/ddpm.py on Fashion-MNIST, each checkpoint a milestone (paid as it goes, resumed from
# by a replacement replica). Part 2 (ddpm-sample.sh) samples from the weights it leaves,
# once it has succeeded. Submit both from a directory holding ai/ (a copy of
# $REPO/examples/ai, REPO being this repository):
#   train=$(og-sbatch --parsable --container-image=$OG_REGISTRY/og/pytorch:1 \
#     --data=fashion-mnist=$OG_REGISTRY/og/fashion-mnist:1 $REPO/jobscripts/examples/ddpm-train.sh --steps 2000)
#   og-sbatch --wait --dependency=afterok:$train --data=ddpm=job:$train \
#     --container-image=$OG_REGISTRY/og/pytorch:1 $REPO/jobscripts/examples/ddpm-sample.sh
# Brings back (og-fetch $train) ddpm.safetensors, checkpoint.safetensors and losses.csv.
# Arguments go to ai/ddpm_train.py (--steps, --channels, --checkpoint-every, ...).
#SBATCH --job-name=ddpm-train
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=02:00:00
#OG --replicas=2
#OG --input=ai
#OG --exclude-stdio
set -euo pipefail
source ai/job-setup.sh
python3 ai/ddpm_train.py --resume auto "$@"
