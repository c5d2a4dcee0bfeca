"""The Llama example's model code: the key/value cache changes nothing, the safetensors
reader refuses what is not a model file, and bad model directories say what is wrong."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
AI = os.path.join(HERE, "..", "..", "examples", "ai")
sys.path.insert(0, AI)
import llama  # noqa: E402
import safetensors_file  # noqa: E402


def make_model(out, *args):
    subprocess.run([sys.executable, os.path.join(AI, "make_test_llama.py"), out, *args], check=True,
                   stdout=subprocess.DEVNULL)


class LlamaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="og-llama-")
        cls.model_dir = os.path.join(cls.tmp, "model")
        make_model(cls.model_dir, "--layers", "3", "--kv-heads", "2", "--dtype", "F32")
        cls.model, cls.tokenizer = llama.load(cls.model_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def copy_model(self, name):
        path = os.path.join(self.tmp, name)
        shutil.copytree(self.model_dir, path)
        return path

    def prompt(self, text):
        return [self.model.config.bos_token_id] + self.tokenizer.EncodeAsIds(text)

    def test_decoding_with_the_cache_equals_recomputing_the_whole_sequence(self):
        for text in ["The quick brown fox", "Everyone is permitted to copy", "x"]:
            ids = self.prompt(text)
            cached = llama.generate(self.model, ids, 40, llama.greedy, use_cache=True)
            recomputed = llama.generate(self.model, ids, 40, llama.greedy, use_cache=False)
            self.assertEqual(len(cached), 40)
            self.assertEqual(cached, recomputed, text)
            # And the logits themselves: one pass over everything against token by token.
            sequence = torch.tensor(ids + cached)
            whole = self.model.forward(sequence, self.model.new_cache(len(sequence)))
            cache = self.model.new_cache(len(sequence))
            steps = [self.model.forward(sequence[:len(ids)], cache)]
            steps += [self.model.forward(sequence[i:i + 1], cache) for i in range(len(ids), len(sequence))]
            torch.testing.assert_close(torch.cat(steps), whole, rtol=1e-4, atol=1e-4)

    def test_a_position_sees_only_what_came_before_it(self):
        ids = self.prompt("Everyone is permitted to copy and distribute")
        full = self.model.forward(torch.tensor(ids), self.model.new_cache(len(ids)))
        changed = ids[:-1] + [(ids[-1] + 1) % self.model.config.vocab_size]
        other = self.model.forward(torch.tensor(changed), self.model.new_cache(len(ids)))
        torch.testing.assert_close(other[:-1], full[:-1])
        self.assertFalse(torch.allclose(other[-1], full[-1]))

    def test_greedy_answers_are_the_same_from_a_bfloat16_copy_loaded_twice(self):
        bf16 = os.path.join(self.tmp, "bf16")
        make_model(bf16, "--layers", "3", "--kv-heads", "2", "--dtype", "BF16")
        answers = []
        for _ in range(2):
            model, tokenizer = llama.load(bf16)
            ids = [1] + tokenizer.EncodeAsIds("GNU General Public License")
            answers.append(llama.generate(model, ids, 24, llama.greedy))
        self.assertEqual(answers[0], answers[1])

    def test_sampling_is_fixed_by_the_seed(self):
        ids = self.prompt("Hello")

        def sample(seed):
            return llama.generate(self.model, ids, 30, llama.sampler(0.9, 0.95, torch.Generator().manual_seed(seed)))
        self.assertEqual(sample(7), sample(7))
        self.assertNotEqual(sample(7), sample(8))

    def test_bad_model_directories_say_what_is_wrong(self):
        def error_of(path):
            with self.assertRaises(llama.ModelError) as e:
                llama.load(path)
            return str(e.exception)
        self.assertIn("not a directory", error_of(os.path.join(self.tmp, "nowhere")))

        d = self.copy_model("no-config")
        os.remove(os.path.join(d, "config.json"))
        self.assertIn("config.json: missing", error_of(d))

        d = self.copy_model("no-tokenizer")
        os.remove(os.path.join(d, "tokenizer.model"))
        self.assertIn("tokenizer.model: missing", error_of(d))

        d = self.copy_model("bad-tokenizer")
        with open(os.path.join(d, "tokenizer.model"), "wb") as f:
            f.write(b"not a sentencepiece model")
        self.assertIn("not a SentencePiece model", error_of(d))

        d = self.copy_model("no-weights")
        os.remove(os.path.join(d, "model.safetensors"))
        self.assertIn("no *.safetensors file", error_of(d))

        d = self.copy_model("truncated")
        path = os.path.join(d, "model.safetensors")
        os.truncate(path, os.path.getsize(path) - 100)
        self.assertRegex(error_of(d), r"model\.safetensors: tensor '.*': bytes \d+\.\.\d+ do not hold F32")

        for key, value, expected in [("num_hidden_layers", 4, "tensor model.layers.3.self_attn.q_proj.weight is missing"),
                                     ("hidden_size", 72, "is [400, 64], config.json says [400, 72]"),
                                     ("num_key_value_heads", 3, "4 attention heads do not share 3 key/value heads"),
                                     ("rope_scaling", {"type": "llama3"}, "rope_scaling"),
                                     ("model_type", "gpt2", "not a Llama-family decoder"),
                                     ("vocab_size", None, "vocab_size is missing"),
                                     ("vocab_size", 100, "more than the model's vocab_size 100"),
                                     ("hidden_act", "gelu", "hidden_act 'gelu' is not supported"),
                                     ("attention_bias", True, "attention_bias True is not supported"),
                                     ("head_dim", 8, "head_dim 8 differs")]:
            d = self.copy_model(f"config-{key}-{value}")
            with open(os.path.join(d, "config.json")) as f:
                config = json.load(f)
            config[key] = value
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(config, f)
            self.assertIn(expected, error_of(d))

    def test_weights_of_another_architecture_are_refused(self):
        d = self.copy_model("with-bias")
        path = os.path.join(d, "model.safetensors")
        tensors, meta = safetensors_file.read(path)
        tensors = {k: v.clone() for k, v in tensors.items()}
        tensors["model.layers.0.self_attn.q_proj.bias"] = torch.zeros(64)
        safetensors_file.write(path, tensors, meta)
        with self.assertRaises(llama.ModelError) as e:
            llama.load(d)
        self.assertIn("q_proj.bias is a bias", str(e.exception))

    def test_validators_score_the_models_own_answers_high_and_foreign_text_near_zero(self):
        import llm_score
        prompts = ["The quick brown fox", "Everyone is permitted to copy"]
        greedy = [llama.generate(self.model, self.prompt(p), 20, llama.greedy) for p in prompts]
        noise = torch.Generator().manual_seed(5)
        garbage = [torch.randint(3, self.model.config.vocab_size, (20,), generator=noise).tolist() for _ in prompts]

        def replica(name, answers, prompts_written=prompts, text=None):
            d = os.path.join(self.tmp, name)
            os.makedirs(d)
            with open(os.path.join(d, "answers.jsonl"), "w") as f:
                for p, tokens in zip(prompts_written, answers):
                    f.write(json.dumps({"prompt": p, "tokens": tokens,
                                        "answer": text if text is not None else self.tokenizer.DecodeIds(tokens)}) + "\n")
            return llm_score.replica_score(self.model, self.tokenizer, prompts, d)
        own, foreign = replica("own", greedy), replica("foreign", garbage)
        self.assertGreater(own, 10 * foreign)  # a random-weight model: flat, but its own answers stand out
        self.assertLess(foreign, 0.01)
        self.assertLessEqual(own, 1.0)
        self.assertEqual(replica("other-prompts", greedy, ["x", "y"]), 0.0)
        self.assertEqual(replica("text-not-its-tokens", greedy, text="something else"), 0.0)
        self.assertEqual(replica("one-missing", greedy[:1]), 0.0)

    def test_the_command_exits_2_naming_the_problem(self):
        prompts = os.path.join(self.tmp, "prompts.txt")
        with open(prompts, "w") as f:
            f.write("hello\n")
        r = subprocess.run([sys.executable, os.path.join(AI, "llm_generate.py"), "--model",
                            os.path.join(self.tmp, "missing"), "--prompts", prompts, "--out",
                            os.path.join(self.tmp, "a.jsonl")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing: not a directory", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "a.jsonl")))


class SafetensorsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="og-st-")
        self.path = os.path.join(self.tmp, "t.safetensors")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def bytes(self):
        with open(self.path, "rb") as f:
            return f.read()

    def raw(self, header, data=b""):
        text = json.dumps(header).encode()
        with open(self.path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + data)

    def refused(self, needle):
        with self.assertRaises(safetensors_file.FormatError) as e:
            safetensors_file.read(self.path)
        self.assertIn(needle, str(e.exception))

    def test_round_trip_of_every_dtype_with_metadata(self):
        tensors = {name: (torch.arange(12) % 2).to(dtype).view(3, 4) for name, dtype in safetensors_file.DTYPES.items()}
        tensors["empty"] = torch.empty(0, 5)
        safetensors_file.write(self.path, tensors, {"step": 3})
        back, meta = safetensors_file.read(self.path)
        self.assertEqual(meta, {"step": "3"})
        self.assertEqual(set(back), set(tensors))
        for name, t in tensors.items():
            self.assertEqual(back[name].dtype, t.dtype)
            self.assertTrue(torch.equal(back[name], t), name)
        with open(self.path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
        self.assertEqual(n % 8, 0)
        first = self.bytes()
        safetensors_file.write(self.path, dict(reversed(list(tensors.items()))), {"step": 3})
        self.assertEqual(self.bytes(), first, "the same tensors, the same bytes")

    def test_what_is_not_a_model_file_is_refused(self):
        with open(self.path, "wb") as f:
            f.write(b"abc")
        self.refused("too short")
        with open(self.path, "wb") as f:
            f.write(struct.pack("<Q", 1 << 40) + b"{}")
        self.refused("does not fit")
        with open(self.path, "wb") as f:
            f.write(struct.pack("<Q", 4) + b"{{{{")
        self.refused("not JSON")
        self.raw({"a": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
        self.refused("bad entry")
        self.raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 8)
        self.refused("do not hold F32[2]")
        self.raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                  "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8)
        self.refused("overlap")
        self.raw({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}})
        self.refused("negative dimension")
        self.raw({"__metadata__": ["not", "an", "object"]})
        self.refused("__metadata__ is not an object of strings")


if __name__ == "__main__":
    unittest.main()
