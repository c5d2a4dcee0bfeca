"""The PyTorch micro-train: checkpoints are milestones, and a replica handed one by OpenGrid
($OG_RESUME_CHECKPOINT, in a fresh directory) ends with the model of a run never stopped."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, "..", "..", "examples", "ai", "mnist_train.py")
QUICK = ["--train-limit", "1024", "--test-limit", "200", "--epochs", "2", "--checkpoint-every", "10"]


class MnistTrainTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="og-mnist-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def train(self, name, *args, env=None, code=0):
        out = os.path.join(self.tmp, name)
        os.makedirs(out, exist_ok=True)
        r = subprocess.run([sys.executable, TRAIN, "--out", out, *QUICK, *args], capture_output=True, text=True,
                           env={**os.environ, **(env or {})})
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        return out, r

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_a_replica_handed_a_checkpoint_ends_with_the_model_of_a_run_never_stopped(self):
        whole, _ = self.train("whole")
        milestones = os.path.join(self.tmp, "milestones")
        os.makedirs(milestones)
        _, r = self.train("lost", "--stop-after", "25", env={"OG_MILESTONES": milestones})
        # Steps 10 and 20: milestones 1 and 2, each the checkpoint of its time.
        self.assertEqual(sorted(os.listdir(milestones)), ["1", "2"])
        self.assertEqual(self.read(os.path.join(milestones, "2")),
                         self.read(os.path.join(self.tmp, "lost", "checkpoint.safetensors")))
        # The replacement starts in a directory of its own, with only what OpenGrid hands it.
        resumed, r = self.train("replacement", env={"OG_RESUME_CHECKPOINT": os.path.join(milestones, "2"),
                                                    "OG_MILESTONES": milestones})
        self.assertIn("at step 20", r.stdout)
        self.assertEqual(sorted(os.listdir(milestones)), ["1", "2", "3", "4"])  # steps 30 and 32, the end
        for name in ("model.safetensors", "metrics.csv", "checkpoint.safetensors"):
            self.assertEqual(self.read(os.path.join(whole, name)), self.read(os.path.join(resumed, name)), name)

    def test_two_runs_agree_byte_for_byte_and_learn(self):
        a, _ = self.train("a")
        b, _ = self.train("b")
        self.assertEqual(self.read(os.path.join(a, "model.safetensors")), self.read(os.path.join(b, "model.safetensors")))
        rows = self.read(os.path.join(a, "metrics.csv")).decode().split("\n")[1:3]
        losses = [float(row.split(",")[1]) for row in rows]
        self.assertLess(losses[1], losses[0])

    def test_a_checkpoint_from_other_settings_is_refused_not_continued(self):
        self.train("d", "--stop-after", "10")
        _, r = self.train("d", "--seed", "9", code=2)
        self.assertIn("was written with other settings", r.stderr)
        _, r = self.train("d", "--seed", "9", "--resume", "no")

    def test_missing_data_says_where_it_looked_and_how_to_stage_it(self):
        _, r = self.train("e", "--data", os.path.join(self.tmp, "nowhere"), code=2)
        self.assertIn("train-images-idx3-ubyte.gz: missing", r.stderr)
        self.assertIn("og-data push", r.stderr)


if __name__ == "__main__":
    unittest.main()
