#!/usr/bin/env python3
"""bench/lstm_peer.py - the PyTorch peer of nasw's LSTM surrogate (bench/lstm_bench.c).

Reads the split written by lstm_bench (set,y,t0..t{T-1}: the same token
sequences, one (input node, op) token per edge), and fits the same model:
embedding 100 -> one LSTM layer of 100 -> linear -> sigmoid, targets min-max
scaled with a 10% margin, MSE, Adam (lr 1e-3), minibatches of 32 reshuffled
every epoch, 100 epochs.  Prints the fit time (wall and CPU) and the Kendall
tau-b on the test set.  Bench only: not used by the tests.

Run it at its best: torch.set_num_threads(THREADS) (2 here), with
OPENBLAS_NUM_THREADS=1 and glibc malloc tuned in the environment (bench/run.sh).

usage: lstm_peer.py SPLIT THREADS [EPOCHS]  -> "pytorch: fit_s X cpu_s Y kendall Z"
"""
import csv
import sys
import time

import torch
import torch.nn as nn


def kendall_tau_b(x, y):
    n, conc, disc, tx, ty = len(x), 0, 0, 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    den = ((conc + disc + tx) * (conc + disc + ty)) ** 0.5
    return (conc - disc) / den if den > 0 else 0.0


class Surrogate(nn.Module):
    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, tok):
        _, (h, _) = self.lstm(self.emb(tok))
        return torch.sigmoid(self.out(h[-1])).squeeze(1)


def main():
    path, threads = sys.argv[1], int(sys.argv[2])
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    tr, te = ([], []), ([], [])
    with open(path) as f:
        for row in csv.DictReader(f):
            dst = tr if row["set"] == "train" else te
            dst[0].append([int(v) for k, v in row.items() if k.startswith("t")])
            dst[1].append(float(row["y"]))
    vocab = 1 + max(max(s) for s in tr[0] + te[0])
    x, y = torch.tensor(tr[0]), torch.tensor(tr[1], dtype=torch.float64)
    lo, hi = y.min().item(), y.max().item()
    span = hi - lo if hi > lo else 1.0
    lo, hi = lo - 0.1 * span, hi + 0.1 * span
    ys = ((y - lo) / (hi - lo)).float()
    net = Surrogate(vocab, 100, 100)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    n, batch = len(ys), 32
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x[idx]), ys[idx]).backward()
            opt.step()
    fit_s, cpu_s = time.perf_counter() - w0, time.process_time() - c0
    with torch.no_grad():
        pred = (lo + (hi - lo) * net(torch.tensor(te[0])).double()).tolist()
    print(f"pytorch: fit_s {fit_s:.3f} cpu_s {cpu_s:.3f} kendall {kendall_tau_b(pred, te[1]):.4f}")


if __name__ == "__main__":
    main()
