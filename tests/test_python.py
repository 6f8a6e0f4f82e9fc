#!/usr/bin/env python3
"""tests/test_python.py - the Python module (python/nasw) over libnasw:
tables, the registered strategies (the same trajectories as `nasw search`),
a strategy written in Python driving the C loop, and errors.  Run by
`make test` when Python 3 is present (needs only the standard library)."""
import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import nasw  # noqa: E402

MINI = os.path.join(ROOT, "tests", "fixtures", "cli", "mini.csv")
NASW = os.environ.get("NASW", os.path.join(ROOT, "nasw"))


def rows():
    with open(MINI) as f:
        head = f.readline().strip().split(",")
        return [dict(zip(head, line.strip().split(","))) for line in f]


def col(run, k):
    return list(run[k])


class TableTest(unittest.TestCase):
    def setUp(self):
        self.t = nasw.Table(MINI)

    def test_table(self):
        r = rows()
        self.assertEqual(self.t.rows, len(r))
        self.assertEqual(self.t.datasets, sorted({x["dataset"] for x in r}, key=[x["dataset"] for x in r].index))
        for x in r[:20]:
            v, t = self.t.query(x["dataset"], x["arch"])
            self.assertEqual(v, float(x["val_acc"]))
            self.assertEqual(t, float(x["test_acc"]))
        alpha = [x["arch"] for x in r if x["dataset"] == "alpha"]
        self.assertEqual(self.t.archs("alpha"), alpha)

    def test_registered_strategy_matches_cli(self):
        for spec in ("random", "evolution:population=10:sample=3", "local"):
            run = self.t.search("alpha", spec, seed=3, budget=25)
            out = subprocess.run([NASW, "search", "--table", MINI, "--dataset", "alpha", "--strategy", spec,
                                  "--budget", "25", "--seed", "3", "--trace"], capture_output=True, text=True,
                                 check=True).stdout
            cli = [line.split("\t") for line in out.splitlines() if line[:1].isdigit()]
            self.assertEqual(col(run, "arch"), [c[5] for c in cli], spec)
            self.assertEqual(col(run, "best_val"), [float(c[3]) for c in cli], spec)
            self.assertEqual(col(run, "test_at_best"), [float(c[4]) for c in cli], spec)

    def test_python_strategy(self):
        order = self.t.archs("alpha")
        told = []

        class InOrder:
            """Propose the rows in file order, each twice (the repeat is free)."""

            def __init__(self):
                self.k = 0

            def ask(self):
                a = order[self.k // 2]
                self.k += 1
                return a

            def tell(self, arch, score, val, test):
                told.append((arch, score, val, test))

        run = self.t.search("alpha", InOrder(), seed=1, budget=10)
        self.assertEqual(col(run, "arch"), order[:10])          # repeats are not counted
        self.assertEqual(len(told), 19)                         # but told, as to any strategy
        for arch, score, val, test in told:
            self.assertEqual((val, test), self.t.query("alpha", arch))
            self.assertEqual(score, val)                        # higher is better here
        best = max(self.t.query("alpha", a)[0] for a in order[:10])
        self.assertEqual(col(run, "best_val")[-1], best)

    def test_done_and_helpers(self):
        class Two:
            def __init__(self, t):
                self.left = [t.sample("alpha", 1), t.mutate("alpha", t.sample("alpha", 1), 2)]

            def ask(self):
                return self.left.pop() if self.left else None

            def tell(self, *a):
                pass

        run = self.t.search("alpha", Two(self.t), seed=1, budget=50)
        self.assertEqual(len(col(run, "arch")), 2)              # the strategy ended the run
        a = self.t.sample("alpha", 5)
        self.assertEqual(a, self.t.sample("alpha", 5))          # seeded
        m = self.t.mutate("alpha", a, 7)
        self.assertEqual(sum(x != y for x, y in zip(a, m)), 1)  # one decision changed

    def test_errors(self):
        with self.assertRaises(nasw.Error) as e:
            nasw.Table(os.path.join(ROOT, "no-such-table.csv"))
        self.assertIn("no-such-table.csv", str(e.exception))
        with self.assertRaises(nasw.Error) as e:
            self.t.search("gamma", "random")
        self.assertEqual(str(e.exception), "dataset 'gamma' not in table '%s'" % MINI)
        with self.assertRaises(nasw.Error) as e:
            self.t.search("alpha", "evolution:bogus=1")
        self.assertIn("bogus", str(e.exception))

        class Bad:
            def ask(self):
                return "9999"

            def tell(self, *a):
                pass

        with self.assertRaises(nasw.Error) as e:
            self.t.search("alpha", Bad())
        self.assertIn("9999", str(e.exception))

        class Raises:
            def ask(self):
                raise KeyError("from the strategy")

            def tell(self, *a):
                pass

        with self.assertRaises(KeyError):
            self.t.search("alpha", Raises())

    def test_strategies(self):
        names = nasw.strategies()
        for n in ("random", "evolution", "local", "reinforce", "bo"):
            self.assertIn(n, names)


if __name__ == "__main__":
    unittest.main()
