#!/usr/bin/env python3
"""bench/predict_peers.py - scikit-learn peers of `nasw predict`, on nasw's own splits.

Reads the splits written by `nasw predict --splits-out FILE` (CSV:
trial,train_size,role,arch,y with role train or test), encodes each
NAS-Bench-201 cell one-hot (6 edges x 5 ops, the encoding of `gp:onehot`),
fits each peer on every (trial, training size) training set and scores the
test set exactly as nasw does: Kendall tau-b, Spearman, MAE, the wall and CPU
time of fit + predict (perf_counter / process_time around the two calls only:
no imports, no reading, no encoding, as nasw's fit_s / fit_cpu_s), for the GP
the held-out log predictive density (mean of log N(y; mean, sd^2), the noise
included, as nasw's lpd_mean) and the number of likelihood evaluations of its
optimiser.  Writes a CSV with the columns of nasw's summary.csv (and evals_mean),
so the two can be printed side by side.

Peers:
  sklearn_gp  GaussianProcessRegressor, ConstantKernel * Matern(nu=2.5) +
              WhiteKernel (nasw's gp:nowarp kernel: signal variance, one length
              scale, noise), started at nasw's first start (l = 1.5, sf2 = 1,
              sn2 = 0.1), normalize_y, L-BFGS-B with RESTARTS starts in total
              (n_restarts_optimizer = RESTARTS - 1, as nasw's `restarts`)
  sklearn_rf  RandomForestRegressor, 500 trees (White et al. 2021 found
              random forests among the best predictors at these sizes)

The peers are measured at their best: glibc malloc keeps large freed buffers
(mallopt M_MMAP_THRESHOLD / M_TRIM_THRESHOLD, as bench/torch_peer.py does;
otherwise every n x n kernel matrix is mapped, faulted in and unmapped) and
OpenBLAS/OpenMP run with THREADS threads, set before numpy loads.  Bench
only: not used by the tests.  Exit 0 with a "skip:" message when
scikit-learn cannot be imported.

Every (peer, size, trial) result is also appended, flushed, to OUT.trials.csv,
so a long run can be split over processes (--trials 1-15, --trials 16-30, each
with its own OUT) and summarised together: predict_peers.py --summarise OUT
A.trials.csv B.trials.csv.

usage: predict_peers.py SPLITS OUT.csv [--peers sklearn_gp,sklearn_rf]
                        [--restarts 3] [--threads 1] [--sizes 100,1000] [--trials A-B]
       predict_peers.py --summarise OUT.csv TRIALS.csv...
"""
import argparse
import ctypes
import ctypes.util
import os
import sys
import time

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def parse_args():
    ap = argparse.ArgumentParser(description="scikit-learn peers of nasw predict on nasw's splits")
    ap.add_argument("splits")
    ap.add_argument("out")
    ap.add_argument("--peers", default="sklearn_gp,sklearn_rf")
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sizes", default="", help="only these training sizes (default: all in the file)")
    ap.add_argument("--trials", default="", help="only trials A-B (default: all)")
    a = ap.parse_args()
    a.peers = a.peers.split(",")
    for p in a.peers:
        if p not in ("sklearn_gp", "sklearn_rf"):
            ap.error("unknown peer '%s'" % p)
    if a.restarts < 1 or a.threads < 1:
        ap.error("--restarts and --threads must be >= 1")
    a.sizes = {int(s) for s in a.sizes.split(",") if s}
    try:
        a.trials = tuple(int(v) for v in a.trials.split("-")) if a.trials else (1, 1 << 30)
        if len(a.trials) != 2 or a.trials[0] > a.trials[1]:
            raise ValueError
    except ValueError:
        ap.error("bad --trials '%.64s' (A-B)" % a.trials)
    return a


def tune_runtime(threads):
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = str(threads)
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    m_trim_threshold, m_mmap_threshold = -1, -3
    if not (libc.mallopt(m_mmap_threshold, 64 << 20) and libc.mallopt(m_trim_threshold, 1 << 30)):
        print("warning: mallopt failed; peers run with default malloc", file=sys.stderr)


def encode(arch):
    """one-hot: for each edge in string order, one slot per op"""
    toks = [t.split("~")[0] for g in arch.split("+") for t in g.split("|") if t]
    x = [0.0] * (len(toks) * len(OPS))
    for e, op in enumerate(toks):
        x[e * len(OPS) + OPS.index(op)] = 1.0
    return x


def read_splits(path):
    """{(trial, size): (Xtrain, ytrain, Xtest, ytest)} in file order"""
    import csv
    out = {}
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        if r.fieldnames != ["trial", "train_size", "role", "arch", "y"]:
            sys.exit("error: %s: not a splits file of nasw predict (header %s)" % (path, r.fieldnames))
        for ln, row in enumerate(r, start=2):
            key = (int(row["trial"]), int(row["train_size"]))
            if row["role"] not in ("train", "test"):
                sys.exit("error: %s:%d: bad role '%.64s'" % (path, ln, row["role"]))
            s = out.setdefault(key, ([], [], [], []))
            i = 0 if row["role"] == "train" else 2
            s[i].append(encode(row["arch"]))
            s[i + 1].append(float(row["y"]))
    return out


NFEV = [0]


def counted_lbfgsb(obj_func, initial_theta, bounds):
    """scikit-learn's default optimizer ("fmin_l_bfgs_b": scipy's L-BFGS-B with
    the analytic gradient, default tolerances), with its evaluations counted"""
    import scipy.optimize

    def counted(theta):
        NFEV[0] += 1
        return obj_func(theta)
    res = scipy.optimize.minimize(counted, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds)
    return res.x, res.fun


def make_peer(name, restarts, seed, threads):
    if name == "sklearn_gp":
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        k = ConstantKernel(1.0) * Matern(length_scale=1.5, nu=2.5) + WhiteKernel(0.1)
        return GaussianProcessRegressor(k, normalize_y=True, n_restarts_optimizer=restarts - 1, random_state=seed,
                                        optimizer=counted_lbfgsb)

    from sklearn.ensemble import RandomForestRegressor
    return RandomForestRegressor(n_estimators=500, random_state=seed, n_jobs=threads)


COLS = ("kendall", "spearman", "mae", "fit_s", "lpd", "fit_cpu_s", "evals")


def summarise(out, raws, order):
    """the per-trial rows of the raw files -> nasw's summary.csv columns"""
    import csv

    import numpy as np
    res = {}
    for path in raws:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                res.setdefault((row["predictor"], int(row["train_size"])), []).append([float(row[c]) for c in COLS])
    peers = order or sorted({p for p, _ in res})
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("predictor,train_size,trials,kendall_mean,kendall_std,spearman_mean,mae_mean,fit_s_mean,lpd_mean,"
                "fit_cpu_s_mean,evals_mean\n")
        for p in peers:
            for s in sorted(z for q, z in res if q == p):
                r = np.asarray(res[(p, s)])
                lpd = "" if np.isnan(r[0, 4]) else "%.6f" % r[:, 4].mean()
                f.write("%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%s,%.6f,%.1f\n" % (
                    p, s, len(r), r[:, 0].mean(), r[:, 0].std(ddof=1) if len(r) > 1 else 0.0, r[:, 1].mean(),
                    r[:, 2].mean(), r[:, 3].mean(), lpd, r[:, 5].mean(), r[:, 6].mean()))
    os.replace(tmp, out)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--summarise":
        if len(sys.argv) < 4:
            sys.exit("usage: predict_peers.py --summarise OUT.csv TRIALS.csv...")
        summarise(sys.argv[2], sys.argv[3:], None)
        return 0
    a = parse_args()
    tune_runtime(a.threads)
    try:
        import warnings

        import numpy as np
        from scipy.stats import kendalltau, spearmanr
        from sklearn.exceptions import ConvergenceWarning
    except ImportError as e:
        print("skip: scikit-learn peers: %s (Debian: apt-get install python3-sklearn python3-scipy)" % e,
              file=sys.stderr)
        return 0
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    splits = read_splits(a.splits)
    sizes = sorted({s for _, s in splits if not a.sizes or s in a.sizes})
    trials = sorted({t for t, _ in splits if a.trials[0] <= t <= a.trials[1]})
    raw_path = a.out + ".trials.csv"
    raw = open(raw_path, "w")
    raw.write("predictor,train_size,trial,kendall,spearman,mae,fit_s,lpd,fit_cpu_s,evals\n")
    for t in trials:
        for s in sizes:
            xtr, ytr, xte, yte = (np.asarray(v) for v in splits[(t, s)])
            for p in a.peers:
                m = make_peer(p, a.restarts, t, a.threads)
                NFEV[0] = 0
                c0, t0 = time.process_time(), time.perf_counter()
                m.fit(xtr, ytr)
                if p == "sklearn_gp":
                    mu, sd = m.predict(xte, return_std=True)
                else:
                    mu = m.predict(xte)
                fit_s, fit_cpu_s = time.perf_counter() - t0, time.process_time() - c0
                lpd = float("nan")
                if p == "sklearn_gp":
                    v = np.maximum(sd * sd, 1e-300)
                    lpd = float(np.mean(-0.5 * (np.log(2 * np.pi * v) + (yte - mu) ** 2 / v)))
                raw.write("%s,%d,%d,%.17g,%.17g,%.17g,%.6f,%.17g,%.6f,%d\n" % (
                    p, s, t, kendalltau(mu, yte)[0], spearmanr(mu, yte)[0], float(np.mean(np.abs(mu - yte))), fit_s,
                    lpd, fit_cpu_s, NFEV[0]))
                raw.flush()
            print("trial %d done" % t, file=sys.stderr, flush=True)
    raw.close()
    summarise(a.out, [raw_path], a.peers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
