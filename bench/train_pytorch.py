#!/usr/bin/python3
"""The anchor for og-train's throughput: PyTorch (Debian's python3-torch, CPU) training the
same MLP (784-256-128-10, ReLU) with the same optimizer (SGD, momentum 0.9, lr 0.05
decaying linearly) and batch size on the same Fashion-MNIST files, one epoch, timing only
the training steps; on the CPU, or on a GPU with a third argument "cuda" (data moved there
first, as og-train-gpu keeps its batches on the GPU). Prints one line:
"pytorch threads=T batch=B device=D samples_per_s=S acc=A"."""
import gzip, struct, sys, time
import numpy as np
import torch

def load(split, root="/usr/share/datasets/fashion-mnist"):
    with gzip.open(f"{root}/{split}-images-idx3-ubyte.gz") as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        images = np.frombuffer(f.read(), np.uint8).reshape(n, rows * cols).astype(np.float32) / 255.0
    with gzip.open(f"{root}/{split}-labels-idx1-ubyte.gz") as f:
        f.read(8)
        labels = np.frombuffer(f.read(), np.uint8).astype(np.int64)
    return torch.from_numpy(images), torch.from_numpy(labels)

def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    device = sys.argv[3] if len(sys.argv) > 3 else "cpu"
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x, y = load("train")
    tx, ty = load("t10k")
    x, y, tx, ty = x.to(device), y.to(device), tx.to(device), ty.to(device)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(device)
    steps = x.shape[0] // batch
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0], device=device)
    start = time.perf_counter()
    for s in range(steps):
        idx = order[s * batch:(s + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        sched.step()
    if device != "cpu":
        torch.cuda.synchronize()
    secs = time.perf_counter() - start
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"pytorch threads={threads} batch={batch} device={device} samples_per_s={steps * batch / secs:.0f} acc={acc:.4f}")

if __name__ == "__main__":
    main()
