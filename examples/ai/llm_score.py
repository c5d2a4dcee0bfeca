#!/usr/bin/python3
"""Scores LLM answers for validators (score verification): each replica's answers.jsonl
is read back through the model, teacher-forced, and scored by how likely the model finds
its answers — per answer the geometric mean of its tokens' probabilities, per replica the
mean over its answers: a number in [0, 1], high for what the model would say, near 0 for
random or foreign text. One forward pass per answer, not one per token: far cheaper than
generating it.

  llm_score.py --model /data/model --prompts prompts.txt REPLICA_DIR [REPLICA_DIR ...]

Prints one JSON object: {"REPLICA_DIR": score, ...}. A replica whose answers do not match
the prompts (missing, extra, other prompts, bad JSON) scores 0."""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama  # noqa: E402
import llm_generate  # noqa: E402


def answer_score(model, tokenizer, prompt, tokens):
    """The geometric mean probability of the answer's tokens following the prompt."""
    if not tokens:
        return 0.0
    ids = [model.config.bos_token_id] + tokenizer.EncodeAsIds(prompt)
    sequence = torch.tensor(ids + tokens, device=model.device)
    logits = model.forward(sequence[:-1], model.new_cache(len(sequence)))[len(ids) - 1:]
    logp = torch.log_softmax(logits.double(), dim=-1).gather(1, torch.tensor(tokens).unsqueeze(1))
    return math.exp(float(logp.mean()))


def replica_score(model, tokenizer, prompts, directory):
    try:
        with open(os.path.join(directory, "answers.jsonl"), encoding="utf-8") as f:
            answers = [json.loads(line) for line in f]
        if [a["prompt"] for a in answers] != prompts:
            return 0.0
        vocab = model.config.vocab_size
        scores = []
        for a in answers:
            tokens = [int(t) for t in a["tokens"]]
            if any(not 0 <= t < vocab for t in tokens) or tokenizer.DecodeIds(tokens) != a["answer"]:
                return 0.0  # the text is not what its tokens say
            scores.append(answer_score(model, tokenizer, a["prompt"], tokens))
        return sum(scores) / len(scores)
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("SLURM_CPUS_ON_NODE", "1")))
    ap.add_argument("replicas", nargs="+")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    try:
        prompts = llm_generate.read_prompts(a.prompts)
        model, tokenizer = llama.load(a.model)
    except llama.ModelError as e:
        print(f"llm_score: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    scores = {d: round(replica_score(model, tokenizer, prompts, d), 6) for d in a.replicas}
    print(json.dumps(scores))
    print(f"llm_score: {len(a.replicas)} replicas scored in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
