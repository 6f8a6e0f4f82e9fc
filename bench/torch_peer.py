#!/usr/bin/env python3
"""bench/torch_peer.py - the PyTorch peer of `nasw train --benchmark`.

The same NAS-Bench-201 network (written here from the NB201 paper's
description: stem conv3x3+BN; 3 stages of N cells at C, 2C, 4C with residual
reduction blocks ReLU-conv3x3(s2)-BN, ReLU-conv3x3-BN, shortcut avgpool2x2 +
conv1x1; BN-ReLU, global average pooling, linear), 1 input channel, 28x28,
SGD with Nesterov momentum and weight decay, timed over STEPS training steps
after 5 warm-up steps on a fixed batch.  Bench only: not used by the tests.

The peer is measured at its best: glibc malloc keeps freed activation
buffers instead of returning them to the kernel (mallopt M_MMAP_THRESHOLD
and M_TRIM_THRESHOLD: without it every step maps, faults in and unmaps
every large tensor), and OpenBLAS runs single-threaded under PyTorch's own
OpenMP threads (no oversubscription of the cores); THREADS sets PyTorch's
intra-op threads.  FORMAT is the activations' memory format: channels_last
(the default: oneDNN's convolutions run on NHWC without reordering, about
20% less CPU time per step than NCHW here) or nchw (PyTorch's default).

usage: torch_peer.py ARCH C N BATCH STEPS THREADS [FORMAT]  -> prints "throughput: X images/s"
"""
import ctypes
import ctypes.util
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read when torch loads OpenBLAS
import torch  # noqa: E402
import torch.nn as nn


def relu_conv_bn(cin, cout, k, stride, pad):
    return nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, pad, bias=False),
                         nn.BatchNorm2d(cout))


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def make_op(name, c):
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return relu_conv_bn(c, c, 1, 1, 0)
    if name == "nor_conv_3x3":
        return relu_conv_bn(c, c, 3, 1, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    raise ValueError(name)


class Cell(nn.Module):
    def __init__(self, arch, c):
        super().__init__()
        self.groups = [[tok.split("~") for tok in g.split("|") if tok] for g in arch.split("+")]
        self.ops = nn.ModuleList(make_op(op, c) for g in self.groups for op, _ in g)

    def forward(self, x):
        nodes, k = [x], 0
        for g in self.groups:
            s = 0
            for op, j in g:
                s = s + self.ops[k](nodes[int(j)])
                k += 1
            nodes.append(s)
        return nodes[-1]


class Reduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = relu_conv_bn(cin, cout, 3, 2, 1)
        self.b = relu_conv_bn(cout, cout, 3, 1, 1)
        self.sc = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, 1, 0, bias=False))

    def forward(self, x):
        return self.b(self.a(x)) + self.sc(x)


def network(arch, c, n):
    layers = [nn.Conv2d(1, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c)]
    for stage in range(3):
        if stage:
            layers.append(Reduction(c << (stage - 1), c << stage))
        layers += [Cell(arch, c << stage) for _ in range(n)]
    layers += [nn.BatchNorm2d(4 * c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * c, 10)]
    return nn.Sequential(*layers)


def tune_runtime(threads):
    """glibc malloc: no mmap/munmap per large tensor, no trimming; torch threads."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 1 << 30)
    if not ok:
        print("warning: mallopt failed; peer runs with default malloc", file=sys.stderr)
    torch.set_num_threads(threads)


def main():
    arch, c, n, batch, steps, threads = sys.argv[1], *map(int, sys.argv[2:7])
    fmt = sys.argv[7] if len(sys.argv) > 7 else "channels_last"
    if fmt not in ("channels_last", "nchw"):
        sys.exit(f"error: unknown memory format '{fmt[:64]}'")
    mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
    tune_runtime(threads)
    torch.manual_seed(0)
    net = network(arch, c, n).to(memory_format=mf)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(batch, 1, 28, 28).contiguous(memory_format=mf)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    print(f"params: {sum(p.numel() for p in net.parameters())}")
    print(f"format: {fmt}")
    print(f"throughput: {steps * batch / dt:.1f} images/s")


if __name__ == "__main__":
    main()
