#!/usr/bin/env python3
"""bench/proxy_corr.py - how reproducible the proxy preset's figures are.

Given the shipped table (trained with --seed 0) and a table of the first
architectures of the same sample trained again with another training seed
(`nasw tables build ... --seed 0 --train-seed 1`), prints the Spearman rank
correlation between the two seeds' validation and test accuracies on the
architectures both hold, and over the whole shipped table the Spearman
correlation of proxy accuracy with parameters and FLOPs.  Cells whose
output is cut off by 'none' edges train to chance level (10%) under any
seed, so the seed correlation is also given without them.  Spearman with
average ranks for ties (params and FLOPs tie often).  Bench only.

usage: proxy_corr.py SHIPPED.csv SEED1.csv
"""
import csv
import sys


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0 + 1
        i = j + 1
    return r


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    n = len(x)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / (sxx * syy) ** 0.5


def load(path):
    with open(path, newline="") as f:
        return {r["arch"]: r for r in csv.DictReader(f) if r["failed"] == "0"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("usage: ")[1])
    shipped, again = load(sys.argv[1]), load(sys.argv[2])
    both = [a for a in again if a in shipped]
    print(f"seed 0 vs seed 1: {len(both)} architectures of the sample trained twice (proxy preset)")
    for m in ("val_acc", "test_acc"):
        x = [float(shipped[a][m]) for a in both]
        y = [float(again[a][m]) for a in both]
        mad = sum(abs(a - b) for a, b in zip(x, y)) / len(both)
        mean = sum(x) / len(x)
        sd = (sum((v - mean) ** 2 for v in x) / (len(x) - 1)) ** 0.5
        print(f"  {m:8s}  Spearman {spearman(x, y):.3f}   mean |difference| {mad:.2f} points"
              f"   (spread over the architectures: sd {sd:.2f}, {min(x):.2f}..{max(x):.2f})")
    live = [a for a in both if float(shipped[a]["val_acc"]) > 20 and float(again[a]["val_acc"]) > 20]
    x = [float(shipped[a]["val_acc"]) for a in live]
    y = [float(again[a]["val_acc"]) for a in live]
    print(f"  val_acc   Spearman {spearman(x, y):.3f} without the {len(both) - len(live)} chance-level cells "
          f"(output cut off by 'none' edges), {len(live)} left")
    rows = list(shipped.values())
    print(f"whole shipped table: {len(rows)} architectures")
    for m in ("val_acc", "test_acc"):
        acc = [float(r[m]) for r in rows]
        for c in ("params", "flops"):
            print(f"  Spearman({m}, {c}) = {spearman(acc, [float(r[c]) for r in rows]):.3f}")


if __name__ == "__main__":
    main()
