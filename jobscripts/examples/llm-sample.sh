#!/bin/bash
# Answers the prompts in prompts.txt by sampling (temperature 0.8, a seed of its own on each
# replica): answers no two providers share byte for byte, so validators score them instead
# (--verify=score): ai/score-llm.sh reads each replica's answers back through the model and
# scores how likely it finds them; the best replica at 0.1 or above is the result, a replica
# below it (random or foreign text) is not paid. Submit as llm-inference.sh (a directory
# holding ai/ and prompts.txt, the model as data) on a mesh with validators:
#   og-sbatch --wait --container-image=$OG_REGISTRY/og/pytorch:1 \
#     --data=model=$OG_REGISTRY/me/tinyllama:1 $REPO/jobscripts/examples/llm-sample.sh --max-new-tokens 64
# Brings back answers.jsonl. Arguments go to ai/llm_generate.py.
#SBATCH --job-name=llm-sample
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=00:30:00
#OG --replicas=2
#OG --input=ai
#OG --input=prompts.txt
#OG --verify=score:ai/score-llm.sh:0.1
#OG --exclude-stdio
set -euo pipefail
source ai/job-setup.sh
python3 ai/llm_generate.py --model "${MODEL_DIR:-/data/model}" --prompts prompts.txt --out answers.jsonl \
  --temperature 0.8 --seed "$((RANDOM * 32768 + RANDOM))" "$@"
