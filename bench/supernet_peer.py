#!/usr/bin/env python3
"""bench/supernet_peer.py - the PyTorch peer of bench/supernet_bench.c.

The same DARTS supernet as train/supernet.c: the NB201 skeleton of
bench/torch_peer.py (stem conv3x3+BN, 3 stages of N cells at C, 2C, 4C with
its residual reduction blocks, BN-ReLU, global average pooling, linear) with
every cell edge a mixed op, node j = sum over edges i->j and ops k of
softmax(alpha[e])[k] * op_k(node i), ops in NB201's order: none (contributes
nothing, not run), skip_connect, nor_conv_1x1 and nor_conv_3x3
(ReLU-conv-BN, the ReLU of a node shared by its convolutions as nasw does),
avg_pool_3x3 (count_include_pad=False).  One step is DARTS' first order, as
nasw's supernet_epoch: the gradient of the validation loss with respect to
the logits only (torch.autograd.grad: no weight gradients computed for it)
and an Adam step on them (lr 3e-4, betas 0.5/0.999, weight decay 1e-3),
then a weight step on the training batch (SGD, Nesterov momentum 0.9, weight
decay 5e-4, lr 0.025).  Fixed random batches, 5 warm-up steps, then STEPS
timed ones.  The runtime is tuned as for the trainer's peer (torch_peer.py:
malloc without per-tensor mmap/trim, OpenBLAS single-threaded under
PyTorch's THREADS intra-op threads).  Bench only: not used by the tests.

usage: supernet_peer.py C N RES BATCH STEPS THREADS [FORMAT]
       -> "params: P", "throughput: X images/s" (training images), "cpu_s: Y",
          "rss_import_kb: R0" (peak RSS before the supernet exists), "max_rss_kb: R"
"""
import os
import resource
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read when torch loads OpenBLAS
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch_peer import Reduction, tune_runtime  # noqa: E402

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NODES = 4


def conv_bn(c, k):
    return nn.Sequential(nn.Conv2d(c, c, k, 1, k // 2, bias=False), nn.BatchNorm2d(c))


class MixedCell(nn.Module):
    """Edges (i -> j) in NB201's order: (0,1), (0,2), (1,2), (0,3), (1,3), (2,3)."""

    def __init__(self, c):
        super().__init__()
        self.edges = [(i, j) for j in range(1, NODES) for i in range(j)]
        self.conv1 = nn.ModuleList(conv_bn(c, 1) for _ in self.edges)
        self.conv3 = nn.ModuleList(conv_bn(c, 3) for _ in self.edges)

    def forward(self, x, w):
        nodes, relus = [x], {}
        for j in range(1, NODES):
            s = 0
            for e, (i, jj) in enumerate(self.edges):
                if jj != j:
                    continue
                h = nodes[i]
                if i not in relus:
                    relus[i] = F.relu(h)
                r = relus[i]
                s = s + w[e, 1] * h + w[e, 2] * self.conv1[e](r) + w[e, 3] * self.conv3[e](r) \
                    + w[e, 4] * F.avg_pool2d(h, 3, 1, 1, count_include_pad=False)
            nodes.append(s)
        return nodes[-1]


class Supernet(nn.Module):
    def __init__(self, c, n, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))
        self.body = nn.ModuleList()
        for stage in range(3):
            if stage:
                self.body.append(Reduction(c << (stage - 1), c << stage))
            self.body.extend(MixedCell(c << stage) for _ in range(n))
        self.head = nn.Sequential(nn.BatchNorm2d(4 * c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4 * c, classes))
        self.alpha = nn.Parameter(1e-3 * torch.randn(NODES * (NODES - 1) // 2, len(OPS)))

    def weights(self):
        return [p for name, p in self.named_parameters() if name != "alpha"]

    def forward(self, x):
        w = F.softmax(self.alpha, dim=-1)
        h = self.stem(x)
        for m in self.body:
            h = m(h, w) if isinstance(m, MixedCell) else m(h)
        return self.head(h)


def main():
    if len(sys.argv) not in (7, 8):
        sys.exit("usage: supernet_peer.py C N RES BATCH STEPS THREADS [FORMAT]")
    c, n, res, batch, steps, threads = map(int, sys.argv[1:7])
    fmt = sys.argv[7] if len(sys.argv) > 7 else "channels_last"
    if fmt not in ("channels_last", "nchw"):
        sys.exit(f"error: unknown memory format '{fmt[:64]}'")
    mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
    tune_runtime(threads)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the interpreter and torch alone
    torch.manual_seed(0)
    net = Supernet(c, n).to(memory_format=mf)
    wopt = torch.optim.SGD(net.weights(), lr=0.025, momentum=0.9, nesterov=True, weight_decay=5e-4)
    aopt = torch.optim.Adam([net.alpha], lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    x = torch.randn(batch, 1, res, res).contiguous(memory_format=mf)
    y = torch.randint(0, 10, (batch,))
    xv = torch.randn(batch, 1, res, res).contiguous(memory_format=mf)
    yv = torch.randint(0, 10, (batch,))

    def step():
        (net.alpha.grad,) = torch.autograd.grad(F.cross_entropy(net(xv), yv), [net.alpha])
        aopt.step()
        wopt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward(inputs=net.weights())
        wopt.step()

    for _ in range(5):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"params: {sum(p.numel() for p in net.weights())}")
    print(f"format: {fmt}")
    print(f"throughput: {steps * batch / dt:.1f} images/s")
    print(f"cpu_s: {cpu:.3f}")
    print(f"rss_import_kb: {rss0}")
    print(f"max_rss_kb: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
