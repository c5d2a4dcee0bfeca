#!/bin/bash
# Answers the prompts in prompts.txt (one per line) with a Llama-family model: greedy
# decoding, so replicas on the same image agree token for token and --verify=exact holds.
# Submit from a directory holding ai/ (a copy of $REPO/examples/ai, REPO being this
# repository: the model code travels in the signed bundle) and prompts.txt, naming the
# image and the model directory you pushed (config.json, *.safetensors, tokenizer.model):
#   og-data push ~/models/tinyllama $OG_REGISTRY/me/tinyllama:1
#   og-sbatch --wait --container-image=$OG_REGISTRY/og/pytorch:1 \
#     --data=model=$OG_REGISTRY/me/tinyllama:1 $REPO/jobscripts/examples/llm-inference.sh --max-new-tokens 64
# Brings back answers.jsonl. Arguments go to ai/llm_generate.py (--temperature, --seed, ...).
#SBATCH --job-name=llm-inference
#SBATCH --cpus-per-task=2
# Weights are held as float32: about 4 bytes a parameter, plus a gigabyte (TinyLlama's 1.1 B: 8G).
#SBATCH --mem=8G
#SBATCH --time=00:30:00
#OG --replicas=2
#OG --input=ai
#OG --input=prompts.txt
# Stdout carries timings (tokens/s), which differ by provider: not voted on.
#OG --exclude-stdio
set -euo pipefail
source ai/job-setup.sh
python3 ai/llm_generate.py --model "${MODEL_DIR:-/data/model}" --prompts prompts.txt --out answers.jsonl "$@"
