#!/usr/bin/env python3
"""bench/ref_protocol.py - an independent implementation of the search protocol.

A peer for the agreement and speed benchmarks, written from the papers, not
from nasw's C code: random search without replacement and regularized
evolution (Real et al. 2019) on a NAS-Bench-201 CSV, NAS-Bench-201/NASLib
protocol (the strategy sees val_acc; after each query the test_acc of the
best-by-val_acc architecture so far is reported; repeated queries are free).
Standard library only.  Used by bench/run.sh; not part of the tests.

usage: ref_protocol.py TABLE SEEDS BUDGET [POPULATION SAMPLE]
prints: dataset,strategy,test_mean,test_ci95 rows
"""
import csv
import math
import random
import statistics
import sys

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def parse(arch):
    ops = []
    for group in arch.strip("|").split("|+|"):
        for tok in group.split("|"):
            ops.append(OPS.index(tok.split("~")[0]))
    return tuple(ops)


def load(path):
    data = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            data.setdefault(row["dataset"], {})[parse(row["arch"])] = (
                float(row["val_acc"]), float(row["test_acc"]))
    return data


def run(table, strategy, seed, budget, population, sample):
    rng = random.Random(seed)
    archs = list(table)
    seen = {}
    best = None  # (val, test)
    traj = []

    def query(a):
        nonlocal best
        if a in seen:
            return seen[a]
        v, t = table[a]
        seen[a] = v
        if best is None or v > best[0]:
            best = (v, t)
        traj.append(best[1])
        return v

    if strategy == "random":
        order = archs[:]
        rng.shuffle(order)
        for a in order[:budget]:
            query(a)
        return traj
    pop = []
    while len(pop) < population and len(traj) < budget:
        a = rng.choice(archs)
        if a in seen:
            continue
        pop.append((a, query(a)))
    while len(traj) < budget:
        cand = [rng.choice(pop) for _ in range(sample)]
        parent = max(cand, key=lambda x: x[1])[0]
        i = rng.randrange(len(parent))
        op = rng.choice([o for o in range(len(OPS)) if o != parent[i]])
        child = parent[:i] + (op,) + parent[i + 1:]
        pop.append((child, query(child)))
        pop.pop(0)
    return traj


def main():
    path, seeds, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    population = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    sample = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    data = load(path)
    print("dataset,strategy,test_mean,test_ci95")
    for ds in ["cifar10", "cifar100", "ImageNet16-120"]:
        for strat in ["random", "evolution"]:
            finals = [run(data[ds], strat, s, budget, population, sample)[-1]
                      for s in range(1, seeds + 1)]
            m = statistics.mean(finals)
            ci = 1.96 * statistics.stdev(finals) / math.sqrt(len(finals))
            print(f"{ds},{strat},{m:.4f},{ci:.4f}")


if __name__ == "__main__":
    main()
