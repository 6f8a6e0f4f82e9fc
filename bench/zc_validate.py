#!/usr/bin/env python3
"""bench/zc_validate.py - how well nasw's zero-cost proxies rank real runs.

fmnist TABLE ZC [REPS]
    TABLE: the table of real trainings (data/fmnist_proxy.csv), ZC: the
    proxies `nasw score` computed for its cells (data/fmnist_proxy_zc.csv),
    joined by arch.  For every proxy, Spearman and Kendall tau-b against
    val_acc and test_acc with percentile bootstrap 95% intervals (REPS
    resamples of the cells, default 1000, seed 0).  An empty (undefined)
    score ranks last.  Then combinations: the mean of the proxies' ranks
    (no fitting), and a ridge regression on the proxies' normalised ranks
    fitted on 9/10 of the cells and scored on the other tenth (10 folds,
    out-of-fold predictions ranked together), with the same intervals.

naslib SUBSET OURS
    SUBSET: NASLib's scores (nb201_zc_subset.csv), OURS: `nasw score` on
    the same cells (CIFAR shape, C=16, N=5), joined by arch on the cifar10
    rows: how many cells have params and flops equal to NASLib's params_m
    and flops_m (to their 6 decimals), and the Spearman of every other
    proxy with NASLib's column, and of both with val_acc.

Prints markdown tables.  Bench only (NumPy and SciPy: scripts/deps.sh --bench).
"""
import csv
import sys

import numpy as np
from scipy import stats

PROXIES = ["params", "flops", "synflow", "snip", "grasp", "fisher", "grad_norm", "jacov", "nwot",
           "zen", "epe_nas", "l2_norm", "plain"]


def load(path, key=lambda r: True):
    with open(path, newline="") as f:
        return {r["arch"]: r for r in csv.DictReader(f) if key(r)}


def num(s):
    return -np.inf if s == "" else float(s)  # undefined: ranks last


def rho(x, y):
    return stats.spearmanr(x, y).correlation


def tau(x, y):
    return stats.kendalltau(x, y).correlation  # tau-b


def boot(f, x, y, reps, rng):
    n = len(x)
    vals = []
    for _ in range(reps):
        i = rng.integers(0, n, n)
        vals.append(f(x[i], y[i]))
    return np.percentile(vals, [2.5, 97.5])


def row(x, metrics, reps, rng):
    """Spearman and Kendall of x against val_acc and test_acc, with intervals."""
    cells = []
    for m in ("val_acc", "test_acc"):
        for f in (rho, tau):
            lo, hi = boot(f, x, metrics[m], reps, rng)
            cells.append(f"{f(x, metrics[m]):.3f} [{lo:.3f}, {hi:.3f}]")
    return " | ".join(cells)


def ranks01(v):
    return (stats.rankdata(v) - 1) / (len(v) - 1)


def ridge_oof(X, y, folds, lam=1.0):
    n = len(y)
    pred = np.empty(n)
    for k in range(folds):
        test = np.arange(n) % folds == k
        A = np.c_[X[~test], np.ones((~test).sum())]
        w = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y[~test])
        pred[test] = np.c_[X[test], np.ones(test.sum())] @ w
    return pred


def fmnist(table, zc, reps):
    t, z = load(table), load(zc)
    archs = [a for a in t if a in z]
    rng = np.random.default_rng(0)
    cols = [p for p in PROXIES if p in next(iter(z.values()))]
    print(f"{len(archs)} cells of {table} with proxies from {zc}; bootstrap {reps} resamples\n")
    print("| proxy | undefined | Spearman val_acc [95% CI] | Kendall val_acc [95% CI] | Spearman test_acc [95% CI] | Kendall test_acc [95% CI] |")
    print("|---|---|---|---|---|---|")
    metrics = {m: np.array([float(t[a][m]) for a in archs]) for m in ("val_acc", "test_acc")}
    scores = {}
    for p in cols:
        x = np.array([num(z[a][p]) for a in archs])
        scores[p] = x
        print(f"| {p} | {int(np.isinf(x).sum())} | {row(x, metrics, reps, rng)} |")
    R = np.column_stack([ranks01(scores[p]) for p in cols])
    combos = {"mean rank of all proxies": R.mean(axis=1)}
    for m in ("val_acc", "test_acc"):
        combos[f"ridge on proxy ranks, 10-fold out-of-fold (fitted to {m})"] = ridge_oof(R, ranks01(metrics[m]), 10)
    print("\n| combination | Spearman val_acc [95% CI] | Kendall val_acc [95% CI] | Spearman test_acc [95% CI] | Kendall test_acc [95% CI] |")
    print("|---|---|---|---|---|")
    for name, x in combos.items():
        print(f"| {name} | {row(x, metrics, reps, rng)} |")


def naslib(subset, ours):
    ref = load(subset, lambda r: r["dataset"] == "cifar10")
    z = load(ours)
    archs = [a for a in z if a in ref]
    print(f"{len(archs)} cifar10 cells of {subset} scored by nasw ({ours})\n")
    for p, col in (("params", "params_m"), ("flops", "flops_m")):
        if p not in z[archs[0]]:
            continue
        eq = sum(f"{float(z[a][p]) / 1e6:.6f}" == f"{float(ref[a][col]):.6f}" for a in archs)
        d = [float(ref[a][col]) * 1e6 - float(z[a][p]) for a in archs]
        print(f"- {p}: equal to NASLib's {col} (6 decimals) for {eq} of {len(archs)} cells; "
              f"NASLib - nasw: min {min(d):.0f}, max {max(d):.0f}")
    val = np.array([float(ref[a]["val_acc"]) for a in archs])
    print("\n| proxy | Spearman nasw vs NASLib | Spearman nasw vs val_acc | Spearman NASLib vs val_acc |")
    print("|---|---|---|---|")
    for p in PROXIES:
        if p not in z[archs[0]]:
            continue
        col = {"params": "params_m", "flops": "flops_m"}.get(p, p)
        if col not in ref[archs[0]]:
            x = np.array([num(z[a][p]) for a in archs])
            print(f"| {p} | (no NASLib column) | {rho(x, val):.3f} | |")
            continue
        x = np.array([num(z[a][p]) for a in archs])
        r = np.array([num(ref[a][col]) for a in archs])
        print(f"| {p} | {rho(x, r):.3f} | {rho(x, val):.3f} | {rho(r, val):.3f} |")


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "fmnist":
        fmnist(a[1], a[2], int(a[3]) if len(a) > 3 else 1000)
    elif len(a) == 3 and a[0] == "naslib":
        naslib(a[1], a[2])
    else:
        sys.exit("usage: zc_validate.py fmnist TABLE ZC [REPS] | naslib SUBSET OURS")


if __name__ == "__main__":
    main()
