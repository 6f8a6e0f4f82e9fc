#!/usr/bin/python3
"""tests/gen/lcurve_fixtures.py - the curve tables of the `nasw lcurve` CLI tests.

Writes tests/fixtures/cli/lc_acc.csv (accuracy curves, higher is better, in percent) and
tests/fixtures/cli/lc_loss.csv (validation losses, lower is better, unbounded above), 32
architectures of a 4-layer chain space (digits 0..2) x 12 epochs each, with a known
dependence of the final value on the architecture and a power-law approach to it plus
noise.  Deterministic (fixed seed); run from the repository root.
"""
import itertools
import random

rng = random.Random(20261125)
archs = ["".join(d) for d in itertools.product("012", repeat=4)][:32]
E = 12

with open("tests/fixtures/cli/lc_acc.csv", "w") as f:
    f.write("arch,dataset,epoch,train_acc,val_acc\n")
    for a in archs:
        top = 70 + 4 * int(a[0]) + 2 * int(a[1]) - int(a[3]) + rng.gauss(0, 1)
        amp, alpha = 40 + rng.gauss(0, 3), 0.6 + 0.2 * rng.random()
        for e in range(1, E + 1):
            v = top - amp * e ** -alpha + rng.gauss(0, 0.4)
            f.write(f"{a},alpha,{e},{min(v + 3, 99.9):.4f},{v:.4f}\n")

with open("tests/fixtures/cli/lc_loss.csv", "w") as f:
    f.write("arch,dataset,epoch,train_loss,val_loss\n")
    for a in archs:
        floor = 0.4 + 0.1 * int(a[2]) + 0.05 * int(a[0]) + abs(rng.gauss(0, 0.02))
        amp, alpha = 1.5 + 0.2 * rng.random(), 0.7 + 0.3 * rng.random()
        for e in range(1, E + 1):
            v = floor + amp * e ** -alpha + abs(rng.gauss(0, 0.01))
            f.write(f"{a},alpha,{e},{v * 0.9:.5f},{v:.5f}\n")
