#!/usr/bin/python3
"""Answers a batch of prompts with a Llama-family model directory (config.json,
*.safetensors, tokenizer.model), one prompt per line of PROMPTS, writing one JSON line per
prompt to --out. Greedy decoding (the default) gives the same tokens on every replica of
the same image and CPU kind, so --verify=exact accepts it; --temperature > 0 samples, with a
seed per prompt, for validators to score.

  llm_generate.py --model /data/model --prompts prompts.txt [--out answers.jsonl]
                  [--max-new-tokens 64] [--temperature 0] [--top-p 0.9] [--seed 0]
                  [--threads N] [--device cpu|cuda]"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama  # noqa: E402


def read_prompts(path):
    try:
        with open(path, encoding="utf-8") as f:
            prompts = [line.rstrip("\n") for line in f if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise llama.ModelError(f"{path}: cannot read the prompts ({e})") from None
    if not prompts:
        raise llama.ModelError(f"{path}: no prompts (one per line)")
    return prompts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="the model directory")
    ap.add_argument("--prompts", required=True, help="a text file, one prompt per line")
    ap.add_argument("--out", default="answers.jsonl")
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.0, help="0: greedy")
    ap.add_argument("--top-p", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("SLURM_CPUS_ON_NODE", "1")))
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    if a.max_new_tokens < 1 or a.temperature < 0 or not 0 < a.top_p <= 1 or a.threads < 1:
        ap.error("--max-new-tokens and --threads must be at least 1, --temperature at least 0, --top-p in (0, 1]")
    torch.set_num_threads(a.threads)
    try:
        prompts = read_prompts(a.prompts)
        started = time.perf_counter()
        model, tokenizer = llama.load(a.model, a.device)
        loaded = time.perf_counter()
        generated = 0
        with open(a.out + ".part", "w", encoding="utf-8") as out:
            for index, prompt in enumerate(prompts):
                ids = [model.config.bos_token_id] + tokenizer.EncodeAsIds(prompt)
                if a.temperature == 0:
                    pick = llama.greedy
                else:
                    pick = llama.sampler(a.temperature, a.top_p, torch.Generator().manual_seed(a.seed + index))
                answer = llama.generate(model, ids, a.max_new_tokens, pick)
                generated += len(answer)
                out.write(json.dumps({"index": index, "prompt": prompt, "answer": tokenizer.DecodeIds(answer),
                                      "tokens": answer}, ensure_ascii=False) + "\n")
        os.replace(a.out + ".part", a.out)
    except llama.ModelError as e:
        print(f"llm_generate: {e}", file=sys.stderr)
        return 2
    secs = time.perf_counter() - loaded
    # Timings vary by provider: the job script leaves stdout out of the vote.
    print(f"llm_generate: {len(prompts)} prompts, {generated} tokens in {secs:.2f} s "
          f"({generated / secs:.1f} tokens/s, model loaded in {loaded - started:.2f} s, {a.threads} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
