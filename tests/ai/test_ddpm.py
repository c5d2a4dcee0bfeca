"""The diffusion example: training is checkpointed and resumable bit for bit, sampling is
fixed by its seed, and bad weights are refused with the reason."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
AI = os.path.join(HERE, "..", "..", "examples", "ai")
QUICK = ["--steps", "12", "--batch", "16", "--channels", "8", "--train-limit", "256", "--checkpoint-every", "4",
         "--log-every", "4"]


class DdpmTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="og-ddpm-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_ai(self, program, *args, env=None, code=0):
        r = subprocess.run([sys.executable, os.path.join(AI, program), *args], capture_output=True, text=True,
                           env={**os.environ, **(env or {})})
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        return r

    def train(self, name, *args, env=None):
        out = os.path.join(self.tmp, name)
        os.makedirs(out, exist_ok=True)
        return out, self.run_ai("ddpm_train.py", "--out", out, *QUICK, *args, env=env)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_a_resumed_run_ends_with_the_weights_of_one_never_stopped(self):
        whole, _ = self.train("whole")
        milestones = os.path.join(self.tmp, "milestones")
        os.makedirs(milestones)
        self.train("lost", "--stop-after", "6", env={"OG_MILESTONES": milestones})
        self.assertEqual(sorted(os.listdir(milestones)), ["1"])
        resumed, r = self.train("replacement", env={"OG_RESUME_CHECKPOINT": os.path.join(milestones, "1")})
        self.assertIn("at step 4", r.stdout)
        for name in ("ddpm.safetensors", "losses.csv", "checkpoint.safetensors"):
            self.assertEqual(self.read(os.path.join(whole, name)), self.read(os.path.join(resumed, name)), name)
        self.assertEqual(self.read(os.path.join(whole, "losses.csv")).count(b"\n"), 4)  # header + 3 rows

    def test_samples_are_fixed_by_the_seed_and_the_class(self):
        weights = os.path.join(self.train("w")[0], "ddpm.safetensors")

        def sample(name, *args):
            out = os.path.join(self.tmp, name)
            self.run_ai("ddpm_sample.py", "--weights", weights, "--count", "3", "--steps", "4", "--out", out, *args)
            return self.read(out)
        first = sample("a.png", "--class", "7")
        self.assertEqual(first[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(sample("b.png", "--class", "7"), first)
        self.assertNotEqual(sample("c.png", "--class", "7", "--seed", "2"), first)
        self.assertNotEqual(sample("d.png", "--class", "3"), first)
        r = self.run_ai("ddpm_sample.py", "--weights", weights, "--count", "1", "--steps", "2", "--out",
                        os.path.join(self.tmp, "e.png"), env={"SLURM_ARRAY_TASK_ID": "9"})
        self.assertIn("ankle-boot", r.stdout)

    def test_what_is_not_its_weights_is_refused(self):
        bad = os.path.join(self.tmp, "bad.safetensors")
        with open(bad, "wb") as f:
            f.write(b"\x10\0\0\0\0\0\0\0{}              ")
        r = self.run_ai("ddpm_sample.py", "--weights", bad, code=2)
        self.assertIn("not the weights of ddpm.py's UNet", r.stderr)
        r = self.run_ai("ddpm_sample.py", "--weights", os.path.join(self.tmp, "none"), code=2)
        self.assertIn("missing", r.stderr)
        r = self.run_ai("ddpm_sample.py", "--weights", bad, "--class", "10", code=2)
        self.assertIn("classes are 0-9", r.stderr)


if __name__ == "__main__":
    unittest.main()
