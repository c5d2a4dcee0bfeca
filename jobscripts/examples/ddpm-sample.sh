#!/bin/bash
# Image generation, part 2: one array task per Fashion-MNIST class samples images from
# the weights ddpm-train.sh left, read as a data set from that job's accepted result
# (--data=ddpm=job:ID, with --dependency=afterok:ID: see ddpm-train.sh). Fixed seeds:
# replicas draw the same noise, and their images must agree pixel by pixel within 8 levels
# (--verify=image:maxdiff=8; CPUs of other kinds may round a few pixels apart).
# Brings back samples-0.png … samples-9.png. Arguments go to ai/ddpm_sample.py
# (--count, --steps, --seed, ...).
#SBATCH --job-name=ddpm-sample
#SBATCH --array=0-9
#SBATCH --cpus-per-task=1
#SBATCH --mem=1G
#SBATCH --time=00:20:00
#OG --replicas=2
#OG --input=ai
#OG --verify=image:maxdiff=8
#OG --exclude-stdio
set -euo pipefail
source ai/job-setup.sh
python3 ai/ddpm_sample.py --weights "${DDPM_WEIGHTS:-/data/ddpm/ddpm.safetensors}" "$@"
