#!/usr/bin/python3
"""Samples Fashion-MNIST-like images of one class from the weights ddpm_train.py wrote,
with DDIM from fixed seeds, so every replica draws the same noise and, on the same kind of
CPU, the same pixels (other CPUs may round a few pixels differently: submit with
--verify=image:maxdiff=K). One array task per class fits: the class defaults to
$SLURM_ARRAY_TASK_ID.

  ddpm_sample.py --weights ddpm.safetensors [--class K] [--count 16] [--seed 1]
                 [--steps 50] [--out samples-K.png] [--threads N]

Writes a PNG of the count images side by side (8 to a row), each 28×28, scaled by --scale."""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddpm  # noqa: E402
import safetensors_file  # noqa: E402


def load(path):
    try:
        tensors, meta = safetensors_file.read(path)
        model = ddpm.UNet(int(meta.get("channels", "32")))
        model.load_state_dict(tensors)
    except FileNotFoundError:
        raise ValueError(f"{path}: missing (the ddpm.safetensors ddpm_train.py writes)") from None
    except (safetensors_file.FormatError, RuntimeError, ValueError) as e:
        raise ValueError(f"{path}: not the weights of ddpm.py's UNet ({str(e).splitlines()[0]})") from None
    return model.eval()


def grid(images, per_row, scale):
    """uint8 [H, W] of images [N, 1, 28, 28] in [0, 1], per_row to a row, each scaled up."""
    n = images.shape[0]
    rows = -(-n // per_row)
    pixels = (images[:, 0] * 255).round().to(torch.uint8).numpy()
    sheet = np.zeros((rows * 28, min(n, per_row) * 28), np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        sheet[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = pixels[i]
    return sheet.repeat(scale, 0).repeat(scale, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", required=True)
    ap.add_argument("--class", dest="label", type=int, default=int(os.environ.get("SLURM_ARRAY_TASK_ID", "0")))
    ap.add_argument("--count", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("SLURM_CPUS_ON_NODE", "1")))
    a = ap.parse_args()
    if not 0 <= a.label < len(ddpm.CLASSES):
        ap.error(f"--class {a.label}: classes are 0-{len(ddpm.CLASSES) - 1} ({', '.join(ddpm.CLASSES)})")
    if not 1 <= a.count <= 1024 or not 1 <= a.steps <= ddpm.STEPS or not 1 <= a.scale <= 16 or a.threads < 1:
        ap.error(f"--count 1-1024, --steps 1-{ddpm.STEPS}, --scale 1-16, --threads at least 1")
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    try:
        model = load(a.weights)
    except ValueError as e:
        print(f"ddpm_sample: {e}", file=sys.stderr)
        return 2
    # The noise of class K from the seed and K alone: the same on every replica.
    generator = torch.Generator().manual_seed(a.seed * 1000 + a.label)
    images = ddpm.sample(model, torch.full((a.count,), a.label), generator, a.steps)
    from PIL import Image

    out = a.out or f"samples-{a.label}.png"
    Image.fromarray(grid(images, 8, a.scale), "L").save(out + ".part.png")
    os.replace(out + ".part.png", out)
    print(f"ddpm_sample: {a.count} {ddpm.CLASSES[a.label]} images in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
