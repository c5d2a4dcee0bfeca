#!/bin/bash
# The scoring script of llm-sample.sh (--verify=score:ai/score-llm.sh): a validator runs it
# with one directory per replica, each holding that replica's answers.jsonl; it prints
# {"DIR": score, ...}, each replica's answers read back through the same model (llm_score.py).
set -euo pipefail
here=$(dirname "$0")
source "$here/job-setup.sh"
exec python3 "$here/llm_score.py" --model "${MODEL_DIR:-/data/model}" --prompts prompts.txt "$@"
