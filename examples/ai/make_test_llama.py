#!/usr/bin/python3
"""Builds a small Llama-family model directory (config.json, model.safetensors,
tokenizer.model) with random weights and a SentencePiece tokenizer trained on a text every
Debian system has, for tests and demos where no real weights can be downloaded. It answers
in fluent nonsense, but in the same tokens on every replica.

  make_test_llama.py OUT_DIR [--layers 2] [--hidden 64] [--heads 4] [--kv-heads 2]
                             [--vocab 400] [--seed 1] [--dtype BF16|F16|F32]"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama  # noqa: E402
import safetensors_file  # noqa: E402

TEXT = "/usr/share/common-licenses/GPL-3"  # base-files: on every Debian system


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dtype", choices=["BF16", "F16", "F32"], default="BF16")
    ap.add_argument("--text", default=TEXT, help="what the tokenizer is trained on")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    import sentencepiece
    # Llama's ids: <unk> 0, <s> 1, </s> 2; byte fallback so any prompt encodes.
    sentencepiece.SentencePieceTrainer.Train(
        input=a.text, model_prefix=os.path.join(a.out, "tokenizer"), vocab_size=a.vocab, model_type="bpe",
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, byte_fallback=True, character_coverage=1.0,
        num_threads=1, minloglevel=2)
    os.remove(os.path.join(a.out, "tokenizer.vocab"))

    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": a.vocab,
              "hidden_size": a.hidden, "intermediate_size": a.hidden * 8 // 3, "num_hidden_layers": a.layers,
              "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads, "rms_norm_eps": 1e-5,
              "rope_theta": 10000.0, "max_position_embeddings": 512, "tie_word_embeddings": False,
              "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": {"BF16": "bfloat16", "F16": "float16",
                                                                      "F32": "float32"}[a.dtype]}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    c = llama.load_config(os.path.join(a.out, "config.json"))
    generator = torch.Generator().manual_seed(a.seed)
    dtype = safetensors_file.DTYPES[a.dtype]
    weights = {}
    for name, shape in llama.expected_shapes(c).items():
        if name.endswith("norm.weight"):
            weights[name] = torch.ones(shape)
        else:
            weights[name] = torch.randn(shape, generator=generator) * (0.5 if "embed" in name else 0.2)
    # Random weights end an answer whenever </s> happens to win: with its logit held at 0
    # against hundreds of random ones, greedy decoding never picks it, so every answer is as
    # long as asked.
    weights["lm_head.weight"][c.eos_token_id] = 0
    safetensors_file.write(os.path.join(a.out, "model.safetensors"), {k: v.to(dtype) for k, v in weights.items()},
                           {"format": "pt"})
    print(f"{a.out}: {sum(v.numel() for v in weights.values())} parameters, {a.layers} layers, vocab {a.vocab}")


if __name__ == "__main__":
    main()
