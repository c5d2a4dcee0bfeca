#!/bin/bash
# The MNIST micro-train in PyTorch: a Fashion-MNIST classifier whose checkpoints are
# milestones (each paid once the replicas agree on it) and the point a replica that
# replaces one lost with its provider resumes from. Submit from a directory holding ai/
# (a copy of $REPO/examples/ai, REPO being this repository), in an image with PyTorch and
# the data set staged by digest:
#   og-data push /usr/share/datasets/fashion-mnist $OG_REGISTRY/og/fashion-mnist:1
#   og-sbatch --wait --container-image=$OG_REGISTRY/og/pytorch:1 \
#     --data=fashion-mnist=$OG_REGISTRY/og/fashion-mnist:1 $REPO/jobscripts/examples/train-pytorch-mnist.sh --epochs 3
# (without them, the provider's own python3-torch and dataset-fashion-mnist). Brings back
# model.safetensors, checkpoint.safetensors and metrics.csv. Arguments go to
# ai/mnist_train.py (--model cnn, --checkpoint-every STEPS, ...).
#SBATCH --job-name=train-pytorch
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#OG --replicas=2
#OG --input=ai
#OG --exclude-stdio
set -euo pipefail
source ai/job-setup.sh
# --resume auto: a replacement replica continues from the checkpoint it was handed.
python3 ai/mnist_train.py --resume auto "$@"
