#!/usr/bin/python3
"""bench/lcurve_peer.py - the SciPy peer of `nasw lcurve eval` (bench only, not used by the tests).

The eleven curve families of Domhan et al. (IJCAI 2015), written here again from the paper's
formulas (with the same one-epoch shift of ilog2 as surrogate/lcurve.h), fitted with SciPy's
curve_fit (MINPACK Levenberg-Marquardt, analytic Jacobians) on the same normalised values
u = acc / 100, epochs x = 1..k and recency weights rho_t = 0.25 + 0.75 t/k (sigma = rho^-1/2),
from one data-driven start (the first start nasw uses: for vapor, ilog2 and loglog the weighted
linear least-squares fit in a transformed space, for the others the heuristic guess); SciPy's
default stopping tolerances (ftol = xtol = 1.49e-8), which nasw's fits use too.  SciPy fits are unconstrained; a fit
that fails, is not finite, does not increase from epoch 1 to the target or ends above 100 is
replaced by the last seen value, as nasw does with a family that has no valid fit.

usage: lcurve_peer.py CURVES.csv FRACTIONS OUT.csv
  CURVES.csv: long-format NB201 curves (arch_index, epoch, val_acc); predicts the last epoch.
  Writes method,fraction,curves,spearman,kendall,mae,fallbacks,fit_ms (fit_ms: CPU ms per
  curve_fit call, time.process_time) and prints it.
"""
import csv
import math
import sys
import time
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import kendalltau, spearmanr

warnings.simplefilter("ignore", OptimizeWarning)
warnings.simplefilter("ignore", RuntimeWarning)


def fam(name):
    """(model(x, *theta), jacobian(x, *theta) -> (n, p))"""
    if name == "vapor":
        f = lambda x, a, b, c: np.exp(a + b / x + c * np.log(x))
        j = lambda x, a, b, c: (lambda v: np.stack([v, v / x, v * np.log(x)], 1))(f(x, a, b, c))
    elif name == "ilog2":
        f = lambda x, c, a: c - a / np.log(x + 1)
        j = lambda x, c, a: np.stack([np.ones_like(x), -1 / np.log(x + 1)], 1)
    elif name in ("weibull", "mmf", "janoschek"):
        if name == "weibull":
            f = lambda x, al, be, ka, de: al - (al - be) * np.exp(-(ka * x) ** de)

            def j(x, al, be, ka, de):
                P = (ka * x) ** de; E = np.exp(-P); d = al - be
                return np.stack([1 - E, E, d * E * de * P / ka, d * E * P * np.log(ka * x)], 1)
        elif name == "mmf":
            f = lambda x, al, be, ka, de: al - (al - be) / (1 + (ka * x) ** de)

            def j(x, al, be, ka, de):
                P = (ka * x) ** de; Q = 1 + P; d = al - be
                return np.stack([1 - 1 / Q, 1 / Q, d * de * P / (ka * Q * Q), d * P * np.log(ka * x) / (Q * Q)], 1)
        else:
            f = lambda x, al, be, ka, de: al - (al - be) * np.exp(-ka * x ** de)

            def j(x, al, be, ka, de):
                P = x ** de; E = np.exp(-ka * P); d = al - be
                return np.stack([1 - E, E, d * E * P, d * E * ka * P * np.log(x)], 1)
    elif name == "pow3":
        f = lambda x, c, a, al: c - a * x ** -al
        j = lambda x, c, a, al: np.stack([np.ones_like(x), -x ** -al, a * x ** -al * np.log(x)], 1)
    elif name == "pow4":
        f = lambda x, c, a, b, al: c - (a * x + b) ** -al

        def j(x, c, a, b, al):
            B = a * x + b; P = B ** -al
            return np.stack([np.ones_like(x), al * P / B * x, al * P / B, P * np.log(B)], 1)
    elif name == "loglog":
        f = lambda x, a, b: np.log(a * np.log(x) + b)
        j = lambda x, a, b: (lambda L: np.stack([np.log(x) / L, 1 / L], 1))(a * np.log(x) + b)
    elif name == "hill3":
        f = lambda x, ym, eta, ka: ym / (1 + (ka / x) ** eta)

        def j(x, ym, eta, ka):
            lr = np.log(ka / x); R = np.exp(eta * lr); Q = 1 + R
            return np.stack([1 / Q, -ym * R * lr / (Q * Q), -ym * eta * R / (ka * Q * Q)], 1)
    elif name == "logpower":
        f = lambda x, a, b, c: a / (1 + np.exp(c * (np.log(x) - b)))

        def j(x, a, b, c):
            P = np.exp(c * (np.log(x) - b)); Q = 1 + P
            return np.stack([1 / Q, a * P * c / (Q * Q), -a * P * (np.log(x) - b) / (Q * Q)], 1)
    elif name == "exp4":
        f = lambda x, c, a, al, b: c - np.exp(-a * x ** al + b)

        def j(x, c, a, al, b):
            P = x ** al; E = np.exp(-a * P + b)
            return np.stack([np.ones_like(x), E * P, E * a * P * np.log(x), -E], 1)
    return f, j


FAMILIES = ["vapor", "ilog2", "weibull", "pow3", "pow4", "loglog", "mmf", "janoschek", "hill3",
            "logpower", "exp4"]


def linear_start(name, u):
    """nasw's start of the families that are linear after a transform (surrogate/lcurve.c
    linear_start): weighted linear least squares in the transformed space, weights rho_t / z'(u)^2"""
    n = len(u)
    x = np.arange(1, n + 1, dtype=float)
    w = 0.25 + 0.75 * x / n
    if name == "vapor":
        if np.any(u <= 0):
            return None
        A, z, s = np.stack([np.ones(n), 1 / x, np.log(x)], 1), np.log(u), u * u
    elif name == "ilog2":
        A, z, s = np.stack([np.ones(n), -1 / np.log(x + 1)], 1), u, np.ones(n)
    elif name == "loglog":
        z = np.exp(u)
        A, s = np.stack([np.log(x), np.ones(n)], 1), 1 / (z * z)
    else:
        return None
    ws = w * s
    try:
        t = np.linalg.solve(A.T @ (ws[:, None] * A), A.T @ (ws * z))
    except np.linalg.LinAlgError:
        return None
    return list(t) if np.all(np.isfinite(t)) else None


def start(name, u):
    """nasw's first start (surrogate/lcurve.c start_theta, variant 0)"""
    t = linear_start(name, u)
    if t is not None:
        return t
    n = len(u)
    u0, u1 = u[0], 0.5 * (u[-1] + u[max(n - 2, 0)])
    top, gap = max(u0, u1), max(abs(u1 - u0), 0.01)
    A, sh = top + 0.1 * gap, 0.5
    if A > 1:
        A = 0.5 * (top + 1) if top < 1 else 1.0
    dn = max(n, 3)
    if name == "vapor":
        return [math.log(max(A, 1e-3)), math.log(u0 / A) if 0 < u0 < A else -1, 0]
    if name == "ilog2":
        return [A, (A - u0) * math.log(2)]
    if name in ("weibull", "mmf", "janoschek"):
        return [A, u0 - 0.1 * gap, 3 * sh / dn, 1]
    if name == "pow3":
        return [A, max(A - u0, 1e-3), sh]
    if name == "pow4":
        B1 = max(A - u0, 1e-3) ** (-1 / sh)
        return [A, 0.5 * B1, 0.5 * B1, sh]
    if name == "loglog":
        return [(math.exp(u1) - math.exp(u0)) / math.log(dn) + 1e-3, math.exp(u0)]
    if name == "hill3":
        return [A, 1, max(A / u0 - 1, 1e-3) if 0 < u0 < A else dn / 3]
    if name == "logpower":
        c = -1 / sh
        q = A / u0 - 1 if u0 > 0 else 0
        return [A, -math.log(q) / c if q > 0 else math.log(dn / 3), c]
    if name == "exp4":
        a = 3 / max(dn ** sh - 1, 0.5)
        return [A, a, sh, a + math.log(max(A - u0, 1e-3))]


def main():
    path, fr_s, out = sys.argv[1], sys.argv[2], sys.argv[3]
    curves = {}
    with open(path) as fh:
        for row in csv.DictReader(fh):
            curves.setdefault(row["arch_index"], []).append((int(row["epoch"]), float(row["val_acc"])))
    Y = [np.array([v for _, v in sorted(c)]) for c in curves.values()]
    E = len(Y[0])
    Y = [y for y in Y if len(y) == E]
    truth = np.array([y[-1] for y in Y])
    rows = []
    for frac in [float(f) for f in fr_s.split(",")]:
        k = int(math.floor(frac * E + 0.5))
        x = np.arange(1, k + 1, dtype=float)
        sigma = 1 / np.sqrt(0.25 + 0.75 * x / k)
        last = np.array([y[k - 1] for y in Y])
        rows.append(("last", frac, len(Y), spearmanr(last, truth)[0], kendalltau(last, truth)[0],
                     float(np.mean(np.abs(last - truth))), 0, 0.0))
        for name in FAMILIES:
            f, j = fam(name)
            pred, fb, cpu = [], 0, 0.0
            for y in Y:
                u = y[:k] / 100
                p0 = start(name, u)
                t0 = time.process_time()
                try:
                    th, _ = curve_fit(f, x, u, p0=p0, sigma=sigma, jac=j, maxfev=400)
                    ok = True
                except (RuntimeError, ValueError, np.linalg.LinAlgError):
                    ok = False
                cpu += time.process_time() - t0
                if ok:
                    v1, vT = f(1.0, *th), f(float(E), *th)
                    ok = np.isfinite(v1) and np.isfinite(vT) and vT >= v1 and vT <= 1 + 1e-9
                if ok:
                    pred.append(100 * vT)
                else:
                    pred.append(y[k - 1])
                    fb += 1
            pred = np.array(pred)
            rows.append((name, frac, len(Y), spearmanr(pred, truth)[0], kendalltau(pred, truth)[0],
                         float(np.mean(np.abs(pred - truth))), fb, 1e3 * cpu / len(Y)))
    with open(out, "w") as fh:
        fh.write("method,fraction,curves,spearman,kendall,mae,fallbacks,fit_ms\n")
        for r in rows:
            fh.write("%s,%g,%d,%.6f,%.6f,%.6f,%d,%.4f\n" % r)
    print("scipy peer (curve_fit, one start, unconstrained; invalid fits -> last value)")
    print("  %-10s %8s %9s %9s %9s %9s %9s" % ("method", "fraction", "spearman", "kendall", "mae", "fallbacks",
                                                "fit_ms"))
    for r in rows:
        print("  %-10s %8g %9.4f %9.4f %9.4f %9d %9.3f" % (r[0], r[1], r[3], r[4], r[5], r[6], r[7]))


if __name__ == "__main__":
    main()
