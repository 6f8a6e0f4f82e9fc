#!/usr/bin/env python3
"""bench/zc_torch_peer.py - the PyTorch peer of `nasw score` (speed).

The zero-cost proxies of docs/zero-cost.md, written here with autograd on
the network of bench/torch_peer.py (the same NAS-Bench-201 network as the
trainer), for timing against nasw on the same architectures, network,
batch (Gaussian images, uniform labels) and threads.  The definitions
follow the papers as NASLib computes them (GraSP by double backward, not
nasw's difference of gradients); the scores are not compared with nasw's
here, only the time.  Prints the mean CPU seconds per architecture of each
proxy (time.process_time: the machine is shared, wall time is not
meaningful) and of the whole set.  Bench only.

usage: zc_torch_peer.py ARCHS_FILE C N RES BATCH THREADS [PROXY,...]
"""
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_peer import network, tune_runtime  # noqa: E402

ALL = ["params", "flops", "synflow", "snip", "grasp", "fisher", "grad_norm", "jacov", "nwot", "zen",
       "epe_nas", "l2_norm", "plain"]


def weighted(net):
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def fresh(arch, c, n):
    torch.manual_seed(0)
    return network(arch, c, n)


def p_params(net, x, y):
    return sum(p.numel() for p in net.parameters())


def p_flops(net, x, y):
    total = [0]

    def hook(m, i, o):
        if isinstance(m, nn.Conv2d):
            total[0] += m.kernel_size[0] * m.kernel_size[1] * m.in_channels * o[0].numel()
        elif isinstance(m, nn.Linear):
            total[0] += m.in_features * m.out_features + m.out_features
        elif isinstance(m, nn.AvgPool2d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            total[0] += k * k * o[0].numel()
    hs = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        net(x[:1])
    for h in hs:
        h.remove()
    return total[0]


def loss_grads(net, x, y):
    net.zero_grad()
    nn.functional.cross_entropy(net(x), y).backward()


def p_synflow(net, x, y):
    net.eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net.zero_grad()
    net(torch.ones_like(x[:1])).sum().backward()
    net.train()
    return sum((m.weight * m.weight.grad).sum().item() for m in weighted(net))


def p_snip(net, x, y):
    loss_grads(net, x, y)
    return sum((m.weight * m.weight.grad).abs().sum().item() for m in weighted(net))


def p_plain(net, x, y):
    loss_grads(net, x, y)
    return sum((m.weight * m.weight.grad).sum().item() for m in weighted(net))


def p_grad_norm(net, x, y):
    loss_grads(net, x, y)
    return sum(m.weight.grad.norm().item() for m in weighted(net))


def p_l2_norm(net, x, y):
    return sum(m.weight.norm().item() for m in weighted(net))


def p_grasp(net, x, y):
    ws = [m.weight for m in weighted(net)]
    g = torch.autograd.grad(nn.functional.cross_entropy(net(x), y), ws)
    gf = torch.autograd.grad(nn.functional.cross_entropy(net(x), y), ws, create_graph=True)
    z = sum((a.detach() * b).sum() for a, b in zip(g, gf))
    hg = torch.autograd.grad(z, ws)
    return -sum((w * h).sum().item() for w, h in zip(ws, hg))


def p_fisher(net, x, y):
    acts = []

    def hook(m, i, o):
        o.retain_grad()
        acts.append(o)
    hs = [m.register_forward_hook(hook) for m in weighted(net)]
    loss_grads(net, x, y)
    for h in hs:
        h.remove()
    s = 0.0
    for a in acts:
        g = (a * a.grad).sum(dim=(2, 3)) if a.dim() == 4 else a * a.grad
        s += (0.5 * g.pow(2).mean(0)).sum().item()
    return s


def jacobians(net, x):
    x = x.clone().requires_grad_(True)
    net(x).backward(torch.ones(x.shape[0], 10))
    return x.grad.reshape(x.shape[0], -1)


def p_jacov(net, x, y):
    r = torch.corrcoef(jacobians(net, x).double())
    if torch.isnan(r).any():
        return math.nan  # all-zero Jacobians (output cut off): undefined, as in nasw
    v = torch.linalg.eigvalsh(r)
    k = 1e-5
    return -(torch.log(v + k) + 1.0 / (v + k)).sum().item()


def p_epe_nas(net, x, y):
    j = jacobians(net, x).double()
    s = []
    for c in y.unique():
        r = torch.corrcoef(j[y == c]) if (y == c).sum() > 1 else torch.ones(1, 1, dtype=j.dtype)
        s.append(torch.log(r.abs() + 1e-5).sum().item())
    return sum(abs(a - b) for a in s for b in s) / len(s)


def p_nwot(net, x, y):
    k = torch.zeros(x.shape[0], x.shape[0], dtype=torch.float64)

    def hook(m, i, o):
        c = (i[0].reshape(i[0].shape[0], -1) > 0).double()
        k.add_(c @ c.t() + (1 - c) @ (1 - c).t())
    hs = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(x)
    for h in hs:
        h.remove()
    return torch.linalg.slogdet(k)[1].item()


def p_zen(net, x, y):
    with torch.no_grad():
        for m in weighted(net):
            nn.init.normal_(m.weight)
        feats = nn.Sequential(*list(net.children())[:-3])  # up to BN-ReLU, before pooling
        a = torch.randn_like(x)
        d = (feats(a) - feats(a + 0.01 * torch.randn_like(x))).abs().sum(dim=(1, 2, 3)).mean()
        s = math.log(d.item()) if d.item() > 0 else -math.inf  # output cut off: log 0, as nasw
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                s += 0.5 * math.log(m.running_var.mean().item())
    return s


def main():
    a = sys.argv[1:]
    if len(a) < 6:
        sys.exit(__doc__.split("usage: ")[1])
    archs = [l.strip() for l in open(a[0]) if l.strip()]
    c, n, res, batch, threads = map(int, a[1:6])
    names = a[6].split(",") if len(a) > 6 else ALL
    tune_runtime(threads)
    torch.manual_seed(1)
    x = torch.randn(batch, 1, res, res)
    y = torch.randint(0, 10, (batch,))
    total = {p: 0.0 for p in names}
    for arch in archs:
        for p in names:
            net = fresh(arch, c, n)  # built per proxy, as nasw does per architecture
            t0 = time.process_time()
            globals()["p_" + p](net, x, y)
            total[p] += time.process_time() - t0
    for p in names:
        print(f"{p} {total[p] / len(archs):.6f}")
    print(f"all {sum(total.values()) / len(archs):.6f}")


if __name__ == "__main__":
    main()
