#!/usr/bin/python3
"""The MNIST micro-train: a Fashion-MNIST classifier in PyTorch (og-train's MLP or CNN, its
optimizer and schedule), checkpointed as it goes. Each checkpoint is an OpenGrid milestone
(paid once the replicas agree on it) and the point a replacement replica resumes from;
a resumed run ends with the same model, bit for bit, as one never stopped.

  mnist_train.py [--model mlp|cnn] [--epochs 2] [--batch 64] [--lr 0.05] [--seed 1]
                 [--checkpoint-every STEPS] [--train-limit N] [--test-limit N]
                 [--resume auto|no] [--out DIR] [--data DIR] [--threads N]

Writes model.safetensors, checkpoint.safetensors and metrics.csv to --out (default .)."""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402
import checkpoints  # noqa: E402
import safetensors_file  # noqa: E402


def build(kind):
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


# What a checkpoint must have been written with to be continued (not places or threads).
SETTINGS = ("model", "epochs", "batch", "lr", "seed", "train_limit", "test_limit", "checkpoint_every")


@torch.no_grad()
def evaluate(model, x, y, chunk=1000):
    """Test accuracy, a chunk at a time: the whole test set at once would hold every
    image's activations (half a gigabyte for the CNN) in the job's memory."""
    model.eval()
    correct = sum(int((model(x[i:i + chunk]).argmax(1) == y[i:i + chunk]).sum()) for i in range(0, len(x), chunk))
    model.train()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--checkpoint-every", type=int, default=0, help="steps; 0: every epoch")
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--test-limit", type=int, default=0)
    checkpoints.add_run_options(ap)
    a = ap.parse_args()
    if a.epochs < 1 or a.batch < 1 or a.lr <= 0 or a.checkpoint_every < 0 or a.threads < 1:
        ap.error("--epochs, --batch and --threads must be at least 1, --lr positive, --checkpoint-every >= 0")
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    try:
        x, y = fashion_mnist.load("train", a.data, a.train_limit)
        tx, ty = fashion_mnist.load("t10k", a.data, a.test_limit)
    except ValueError as e:
        print(f"mnist_train: {e}", file=sys.stderr)
        return 2
    steps_per_epoch = x.shape[0] // a.batch
    if steps_per_epoch == 0:
        ap.error(f"--batch {a.batch} is larger than the {x.shape[0]} training images")
    total = steps_per_epoch * a.epochs
    every = a.checkpoint_every or steps_per_epoch

    torch.manual_seed(a.seed)  # the initial weights
    model = build(a.model)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    step, loss_sum, rows = 0, 0.0, []
    ckpt_path = os.path.join(a.out, "checkpoint.safetensors")
    settings = checkpoints.settings_of(a, SETTINGS)
    try:
        meta = checkpoints.resume(ckpt_path, model, opt, settings, a.resume == "auto")
    except checkpoints.CheckpointError as e:
        print(f"mnist_train: {e}", file=sys.stderr)
        return 2
    if meta:
        step, loss_sum, rows = int(meta["step"]), float.fromhex(meta["loss_sum"]), json.loads(meta["metrics"])

    def checkpoint():
        meta = {"step": step, "loss_sum": loss_sum.hex(), "metrics": json.dumps(rows)}
        checkpoints.save(ckpt_path, model, opt, meta, settings, -(-step // every))

    loss_fn = torch.nn.CrossEntropyLoss()
    started, trained = time.perf_counter(), 0
    while step < total:
        epoch, position = divmod(step, steps_per_epoch)
        # Each epoch's order from the seed and the epoch alone: a resumed run draws the same.
        order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(a.seed * 1000003 + epoch))
        model.train()
        for s in range(position, steps_per_epoch):
            for group in opt.param_groups:
                group["lr"] = a.lr * (1 - step / total)  # linear decay, as og-train
            idx = order[s * a.batch:(s + 1) * a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss_sum += float(loss)
            step += 1
            trained += 1
            if s == steps_per_epoch - 1:
                accuracy = evaluate(model, tx, ty)
                rows.append([epoch + 1, loss_sum / steps_per_epoch, accuracy])
                loss_sum = 0.0
                print(f"epoch {epoch + 1}: loss {rows[-1][1]:.4f} test accuracy {accuracy:.4f}")
            if step % every == 0 or step == total:
                checkpoint()
            if a.stop_after and step >= a.stop_after:
                print(f"mnist_train: stopped after step {step} (--stop-after)")
                return 0
    secs = time.perf_counter() - started
    safetensors_file.write(os.path.join(a.out, "model.safetensors"), model.state_dict(), {"model": a.model})
    with open(os.path.join(a.out, "metrics.csv"), "w") as f:
        f.write("epoch,train_loss,test_accuracy\n")
        f.writelines(f"{e},{loss:.6f},{acc:.4f}\n" for e, loss, acc in rows)
    print(f"mnist_train: {trained} steps of {a.batch} in {secs:.2f} s "
          f"({trained * a.batch / max(secs, 1e-9):.0f} samples/s, {a.threads} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
