#!/usr/bin/env python3
"""bench/torch_accuracy.py - the PyTorch peer of `nasw train` for accuracy.

Trains the network of bench/torch_peer.py on Fashion-MNIST with nasw's
recipe (train/trainer.h): SGD, Nesterov momentum 0.9, weight decay 5e-4 on
every parameter, learning rate 0.1 annealed by a cosine per step to 0 over
all the steps, no augmentation, pixels x/255 normalised by mean 0.2860 and
sd 0.3530, He-normal convolutions, linear U(+-1/sqrt(fan_in)) with zero
bias, BN gamma 1 beta 0 (momentum 0.1, eps 1e-5), evaluation with running
statistics.  The images are nasw's: SPLIT lists the 60k training-image
indices in nasw's split order (bench/fmnist_split.c); the first VAL are the
validation set, the next TRAIN the training set; the test set is the full
10k.  Only the initial weights and the batch order differ from nasw's (they
come from torch's generator).  Bench only: not used by the tests.

usage: torch_accuracy.py ARCH C N EPOCHS TRAIN VAL BATCH THREADS SPLIT [SEED]
  -> prints "final val_acc X test_acc Y"
"""
import gzip
import math
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_peer  # noqa: E402  (sets OPENBLAS_NUM_THREADS before torch loads)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

FMNIST = "/usr/share/datasets/fashion-mnist"
MEAN, SD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    t = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return t.reshape(dims)


def images(path):
    x = read_idx(path).float().div(255.0)
    return ((x - MEAN) / SD).unsqueeze(1).contiguous()


def init(net):
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.in_features)
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)


def evaluate(net, x, y, batch):
    net.eval()
    loss, hits = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            out = net(x[i:i + batch])
            loss += nn.functional.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            hits += (out.argmax(1) == y[i:i + batch]).sum().item()
    net.train()
    return loss / len(y), 100.0 * hits / len(y)


def main():
    if len(sys.argv) not in (10, 11):
        sys.exit(__doc__.split("usage: ")[1])
    arch = sys.argv[1]
    c, n, epochs, n_train, n_val, batch, threads = map(int, sys.argv[2:9])
    seed = int(sys.argv[10]) if len(sys.argv) > 10 else 0
    torch_peer.tune_runtime(threads)
    torch.manual_seed(seed)
    with open(sys.argv[9]) as f:
        order = torch.tensor([int(line) for line in f])
    xs, ys = images(f"{FMNIST}/train-images-idx3-ubyte.gz"), read_idx(f"{FMNIST}/train-labels-idx1-ubyte.gz").long()
    val_idx, train_idx = order[:n_val], order[n_val:n_val + n_train]
    x_val, y_val, x_tr, y_tr = xs[val_idx], ys[val_idx], xs[train_idx], ys[train_idx]
    x_te = images(f"{FMNIST}/t10k-images-idx3-ubyte.gz")
    y_te = read_idx(f"{FMNIST}/t10k-labels-idx1-ubyte.gz").long()

    net = torch_peer.network(arch, c, n)
    init(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps_per_epoch = (n_train + batch - 1) // batch
    total, step = steps_per_epoch * epochs, 0
    t0 = time.perf_counter()
    for ep in range(1, epochs + 1):
        perm = torch.randperm(n_train)
        loss_sum, hits = 0.0, 0
        for i in range(0, n_train, batch):
            idx = perm[i:i + batch]
            lr = 0.5 * 0.1 * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad(set_to_none=True)
            out = net(x_tr[idx])
            loss = nn.functional.cross_entropy(out, y_tr[idx])
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(idx)
            hits += (out.argmax(1) == y_tr[idx]).sum().item()
        vl, va = evaluate(net, x_val, y_val, batch)
        tl, ta = evaluate(net, x_te, y_te, batch)
        print(f"epoch {ep:3d}  train loss {loss_sum / n_train:.4f} acc {100.0 * hits / n_train:6.2f}  "
              f"val loss {vl:.4f} acc {va:6.2f}  test loss {tl:.4f} acc {ta:6.2f}  "
              f"{time.perf_counter() - t0:6.1f}s", flush=True)
    print(f"final val_acc {va:.2f} test_acc {ta:.2f}")


if __name__ == "__main__":
    main()
