#!/usr/bin/python3
"""Trains the diffusion model of ddpm.py on Fashion-MNIST, class-conditional, checkpointed
as it goes: each checkpoint is an OpenGrid milestone (paid once the replicas agree on it)
and where a replacement replica resumes; a resumed run ends with the same weights, bit
for bit, as one never stopped.

  ddpm_train.py [--steps 2000] [--batch 64] [--lr 0.001] [--channels 32] [--seed 1]
                [--checkpoint-every 500] [--train-limit N] [--resume auto|no] [--out DIR]
                [--data DIR] [--threads N]

Writes ddpm.safetensors (the weights ddpm_sample.py reads), checkpoint.safetensors and
losses.csv (the mean loss of every --log-every steps) to --out (default .)."""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkpoints  # noqa: E402
import ddpm  # noqa: E402
import fashion_mnist  # noqa: E402
import safetensors_file  # noqa: E402

SETTINGS = ("steps", "batch", "lr", "channels", "seed", "checkpoint_every", "train_limit", "log_every")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--checkpoint-every", type=int, default=500)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--train-limit", type=int, default=0)
    checkpoints.add_run_options(ap)
    a = ap.parse_args()
    if min(a.steps, a.batch, a.checkpoint_every, a.log_every, a.threads) < 1 or a.lr <= 0 or a.channels % 8:
        ap.error("--steps, --batch, --checkpoint-every, --log-every and --threads must be at least 1, "
                 "--lr positive, --channels a multiple of 8")
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    try:
        x, y = fashion_mnist.load("train", a.data, a.train_limit)
    except ValueError as e:
        print(f"ddpm_train: {e}", file=sys.stderr)
        return 2
    per_epoch = x.shape[0] // a.batch
    if per_epoch == 0:
        ap.error(f"--batch {a.batch} is larger than the {x.shape[0]} training images")

    torch.manual_seed(a.seed)
    model = ddpm.UNet(a.channels)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    levels = ddpm.noise_levels()
    settings = checkpoints.settings_of(a, SETTINGS)
    ckpt_path = os.path.join(a.out, "checkpoint.safetensors")
    step, loss_sum, rows = 0, 0.0, []
    try:
        meta = checkpoints.resume(ckpt_path, model, opt, settings, a.resume == "auto")
    except checkpoints.CheckpointError as e:
        print(f"ddpm_train: {e}", file=sys.stderr)
        return 2
    if meta:
        step, loss_sum, rows = int(meta["step"]), float.fromhex(meta["loss_sum"]), json.loads(meta["losses"])

    started, trained = time.perf_counter(), 0
    order, order_epoch = None, -1
    while step < a.steps:
        epoch, position = divmod(step, per_epoch)
        if epoch != order_epoch:  # each epoch's order from the seed and the epoch alone
            order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(a.seed * 1000003 + epoch))
            order_epoch = epoch
        idx = order[position * a.batch:(position + 1) * a.batch]
        noise = torch.Generator().manual_seed(a.seed * 7919 + step)  # this step's noise, whoever runs it
        opt.zero_grad(set_to_none=True)
        loss = ddpm.training_loss(model, x[idx], y[idx], noise, levels)
        loss.backward()
        opt.step()
        loss_sum += float(loss)
        step += 1
        trained += 1
        if step % a.log_every == 0:
            rows.append([step, loss_sum / a.log_every])
            loss_sum = 0.0
            print(f"step {step}: loss {rows[-1][1]:.4f}")
        if step % a.checkpoint_every == 0 or step == a.steps:
            meta = {"step": step, "loss_sum": loss_sum.hex(), "losses": json.dumps(rows)}
            checkpoints.save(ckpt_path, model, opt, meta, settings, -(-step // a.checkpoint_every))
        if a.stop_after and step >= a.stop_after:
            print(f"ddpm_train: stopped after step {step} (--stop-after)")
            return 0
    secs = time.perf_counter() - started
    safetensors_file.write(os.path.join(a.out, "ddpm.safetensors"), model.state_dict(),
                           {"channels": a.channels, "classes": ",".join(ddpm.CLASSES)})
    with open(os.path.join(a.out, "losses.csv"), "w") as f:
        f.write("step,loss\n")
        f.writelines(f"{s},{loss:.6f}\n" for s, loss in rows)
    print(f"ddpm_train: {trained} steps of {a.batch} in {secs:.2f} s ({trained / max(secs, 1e-9):.1f} steps/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
