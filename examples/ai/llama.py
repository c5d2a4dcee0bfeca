"""A Llama-family decoder (Llama 2, TinyLlama, Mistral-style configs) in plain PyTorch,
loading a model directory in the layout such models are published in: config.json, one or
more *.safetensors files with Hugging Face's tensor names, and a SentencePiece
tokenizer.model. Inference only, on the CPU or a GPU, in float32, with a key/value cache."""
import dataclasses
import glob
import json
import math
import os

import torch

import safetensors_file


class ModelError(ValueError):
    """A model directory that cannot be used; the message says what and where."""


@dataclasses.dataclass
class Config:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    max_position_embeddings: int = 2048
    tie_word_embeddings: bool = False
    bos_token_id: int = 1
    eos_token_id: int = 2

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads


def load_config(path):
    try:
        with open(path) as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise ModelError(f"{path}: missing (a model directory holds config.json, *.safetensors and tokenizer.model)") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}: not JSON ({e})") from None
    if raw.get("model_type", "llama") not in ("llama", "mistral"):
        raise ModelError(f"{path}: model_type {raw['model_type']!r} is not a Llama-family decoder")
    if raw.get("rope_scaling"):
        raise ModelError(f"{path}: rope_scaling {raw['rope_scaling']!r} is not supported (plain RoPE only)")
    # What this decoder does not compute: refused rather than answered wrongly.
    for key, supported in (("hidden_act", "silu"), ("attention_bias", False), ("mlp_bias", False)):
        if raw.get(key, supported) != supported:
            raise ModelError(f"{path}: {key} {raw[key]!r} is not supported (only {supported!r})")
    heads, hidden = raw.get("num_attention_heads"), raw.get("hidden_size")
    if raw.get("head_dim") and isinstance(heads, int) and heads > 0 and raw["head_dim"] * heads != hidden:
        raise ModelError(f"{path}: head_dim {raw['head_dim']} differs from hidden_size / num_attention_heads "
                         "(not supported)")
    raw.setdefault("num_key_value_heads", raw.get("num_attention_heads"))
    # Mistral's sliding window changes nothing while every sequence fits in it.
    if isinstance(raw.get("sliding_window"), int) and raw["sliding_window"] < raw.get("max_position_embeddings", 2048):
        raw["max_position_embeddings"] = raw["sliding_window"]
    fields = {}
    for field in dataclasses.fields(Config):
        name, kind = field.name, field.type
        if raw.get(name) is None:
            if field.default is dataclasses.MISSING:
                raise ModelError(f"{path}: {name} is missing")
            continue
        value = raw[name]
        if isinstance(value, list) and name == "eos_token_id":
            value = value[0]  # some configs list several; the first ends the answer
        try:
            fields[name] = kind(value)
        except (TypeError, ValueError):
            raise ModelError(f"{path}: {name} is {value!r}, not a number") from None
    config = Config(**fields)
    for name in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                 "num_key_value_heads", "max_position_embeddings"):
        if getattr(config, name) <= 0:
            raise ModelError(f"{path}: {name} must be positive, not {getattr(config, name)}")
    if config.hidden_size % config.num_attention_heads or config.head_dim % 2:
        raise ModelError(f"{path}: hidden_size {config.hidden_size} does not split into "
                         f"{config.num_attention_heads} heads of an even size")
    if config.num_attention_heads % config.num_key_value_heads:
        raise ModelError(f"{path}: {config.num_attention_heads} attention heads do not share "
                         f"{config.num_key_value_heads} key/value heads evenly")
    return config


def expected_shapes(c):
    kv = c.num_key_value_heads * c.head_dim
    shapes = {"model.embed_tokens.weight": (c.vocab_size, c.hidden_size), "model.norm.weight": (c.hidden_size,)}
    if not c.tie_word_embeddings:
        shapes["lm_head.weight"] = (c.vocab_size, c.hidden_size)
    for i in range(c.num_hidden_layers):
        p = f"model.layers.{i}."
        shapes.update({
            p + "self_attn.q_proj.weight": (c.hidden_size, c.hidden_size),
            p + "self_attn.k_proj.weight": (kv, c.hidden_size),
            p + "self_attn.v_proj.weight": (kv, c.hidden_size),
            p + "self_attn.o_proj.weight": (c.hidden_size, c.hidden_size),
            p + "mlp.gate_proj.weight": (c.intermediate_size, c.hidden_size),
            p + "mlp.up_proj.weight": (c.intermediate_size, c.hidden_size),
            p + "mlp.down_proj.weight": (c.hidden_size, c.intermediate_size),
            p + "input_layernorm.weight": (c.hidden_size,),
            p + "post_attention_layernorm.weight": (c.hidden_size,),
        })
    return shapes


def load_weights(directory, config, device):
    files = sorted(glob.glob(os.path.join(directory, "*.safetensors")))
    if not files:
        raise ModelError(f"{directory}: no *.safetensors file")
    found = {}
    for path in files:
        try:
            tensors, _ = safetensors_file.read(path)
        except safetensors_file.FormatError as e:
            raise ModelError(str(e)) from None
        found.update(tensors)
    biases = [name for name in found if name.endswith(".bias")]
    if biases:
        raise ModelError(f"{directory}: tensor {biases[0]} is a bias, which Llama-family decoders have none of "
                         "(another architecture?)")
    weights = {}
    for name, shape in expected_shapes(config).items():
        if name not in found:
            raise ModelError(f"{directory}: tensor {name} is missing from {', '.join(map(os.path.basename, files))}")
        if tuple(found[name].shape) != shape:
            raise ModelError(f"{directory}: tensor {name} is {list(found[name].shape)}, config.json says {list(shape)}")
        weights[name] = found[name].to(device=device, dtype=torch.float32)
    if config.tie_word_embeddings:
        weights["lm_head.weight"] = weights["model.embed_tokens.weight"]
    return weights


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Cache:
    """Keys and values of every position seen so far, per layer."""

    def __init__(self, config, length, device):
        shape = (config.num_hidden_layers, config.num_key_value_heads, length, config.head_dim)
        self.keys = torch.zeros(shape, device=device)
        self.values = torch.zeros(shape, device=device)
        self.length = 0


class Llama:
    def __init__(self, config, weights, device="cpu"):
        self.config, self.w, self.device = config, weights, device
        d = config.head_dim
        self.inv_freq = 1.0 / (config.rope_theta ** (torch.arange(0, d, 2, device=device, dtype=torch.float32) / d))

    def new_cache(self, length):
        if length > self.config.max_position_embeddings:
            raise ModelError(f"{length} positions asked for; the model was trained for "
                             f"{self.config.max_position_embeddings} (max_position_embeddings)")
        return Cache(self.config, length, self.device)

    @torch.inference_mode()
    def forward(self, tokens, cache):
        """Logits for each of tokens (1-D), which follow the cache's positions; extends it."""
        c, w, n, start = self.config, self.w, tokens.shape[0], cache.length
        if start + n > cache.keys.shape[2]:
            raise ModelError(f"the cache holds {cache.keys.shape[2]} positions; {start + n} needed")
        heads, kv_heads, d = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        angles = torch.arange(start, start + n, device=self.device, dtype=torch.float32)[:, None] * self.inv_freq
        angles = torch.cat((angles, angles), dim=-1)
        cos, sin = angles.cos(), angles.sin()
        # Query i (at position start+i) sees keys 0..start+i.
        mask = torch.full((n, start + n), float("-inf"), device=self.device).triu(start + 1)
        x = w["model.embed_tokens.weight"][tokens]
        for i in range(c.num_hidden_layers):
            p = f"model.layers.{i}."
            h = rms_norm(x, w[p + "input_layernorm.weight"], c.rms_norm_eps)
            q = (h @ w[p + "self_attn.q_proj.weight"].T).view(n, heads, d).transpose(0, 1)
            k = (h @ w[p + "self_attn.k_proj.weight"].T).view(n, kv_heads, d).transpose(0, 1)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).view(n, kv_heads, d).transpose(0, 1)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            cache.keys[i, :, start:start + n] = k
            cache.values[i, :, start:start + n] = v
            keys = cache.keys[i, :, :start + n].repeat_interleave(heads // kv_heads, dim=0)
            values = cache.values[i, :, :start + n].repeat_interleave(heads // kv_heads, dim=0)
            scores = (q @ keys.transpose(1, 2)) / math.sqrt(d) + mask
            attended = (scores.softmax(dim=-1) @ values).transpose(0, 1).reshape(n, c.hidden_size)
            x = x + attended @ w[p + "self_attn.o_proj.weight"].T
            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], c.rms_norm_eps)
            gate = torch.nn.functional.silu(h @ w[p + "mlp.gate_proj.weight"].T)
            x = x + (gate * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
        cache.length = start + n
        return rms_norm(x, w["model.norm.weight"], c.rms_norm_eps) @ w["lm_head.weight"].T


def load_tokenizer(directory, config):
    import sentencepiece

    path = os.path.join(directory, "tokenizer.model")
    if not os.path.isfile(path):
        raise ModelError(f"{path}: missing (the SentencePiece model the weights were trained with)")
    tokenizer = sentencepiece.SentencePieceProcessor()
    try:
        tokenizer.Load(path)
    except (OSError, RuntimeError) as e:
        raise ModelError(f"{path}: not a SentencePiece model ({str(e).strip()})") from None
    if tokenizer.GetPieceSize() > config.vocab_size:
        raise ModelError(f"{path}: {tokenizer.GetPieceSize()} pieces, more than the model's vocab_size {config.vocab_size}")
    return tokenizer


def load(directory, device="cpu"):
    """(model, tokenizer) of a model directory; ModelError says what is wrong with it."""
    if not os.path.isdir(directory):
        raise ModelError(f"{directory}: not a directory (name the model directory, e.g. /data/model)")
    config = load_config(os.path.join(directory, "config.json"))
    tokenizer = load_tokenizer(directory, config)
    return Llama(config, load_weights(directory, config, device), device), tokenizer


def generate(model, prompt, max_new_tokens, pick, use_cache=True):
    """Token ids following prompt (ids, BOS included), chosen by pick(logits), stopping at
    EOS or after max_new_tokens; without the cache each step recomputes the whole sequence."""
    tokens = list(prompt)
    cache = model.new_cache(len(prompt) + max_new_tokens)
    logits = model.forward(torch.tensor(tokens, device=model.device), cache)[-1]
    answer = []
    while len(answer) < max_new_tokens:
        token = pick(logits)
        if token == model.config.eos_token_id:
            break
        answer.append(token)
        tokens.append(token)
        if len(answer) == max_new_tokens:
            break
        if use_cache:
            logits = model.forward(torch.tensor([token], device=model.device), cache)[-1]
        else:
            logits = model.forward(torch.tensor(tokens, device=model.device), model.new_cache(len(tokens)))[-1]
    return answer


def greedy(logits):
    return int(torch.argmax(logits))  # the first of equal maxima: the same on every replica


def sampler(temperature, top_p, generator):
    """Samples from the softmax at temperature within the top_p nucleus, drawing from generator."""
    def pick(logits):
        probs = (logits.double() / temperature).softmax(-1)
        sorted_probs, order = probs.sort(descending=True)
        keep = sorted_probs.cumsum(-1) - sorted_probs < top_p
        sorted_probs = sorted_probs * keep
        return int(order[torch.multinomial(sorted_probs / sorted_probs.sum(), 1, generator=generator)])
    return pick
