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

    def test_compare_matches_cli(self):
        # the rows of `nasw compare`'s summary.csv at the budget, from the same runs and code
        import csv
        import tempfile
        specs = ["random", "local", "evolution:population=8:sample=3"]
        for budget, unit, flag in ((20, "queries", "20"), (150, "seconds", "150s")):
            got = self.t.compare(specs, seeds=3, budget=budget, unit=unit)
            with tempfile.TemporaryDirectory() as d:
                subprocess.run([NASW, "compare", "--table", MINI, "--strategies", ",".join(specs), "--seeds", "3",
                                "--budget", flag, "--jobs", "1", "--no-plot", "-q", "--dir", d], check=True)
                with open(os.path.join(d, "summary.csv")) as f:
                    want = list(csv.DictReader(f))
            self.assertEqual(len(col(got, "dataset")), len(want))
            for i, w in enumerate(want):
                self.assertEqual(col(got, "dataset")[i], w["dataset"])
                self.assertEqual(col(got, "strategy")[i], w["strategy"])
                for k in ("test_mean", "test_std", "test_ci95", "val_mean", "queries_to_best", "regret_mean"):
                    v = col(got, k)[i]
                    self.assertEqual("%.10g" % v if v == v else "", w[k], (unit, w["strategy"], k))
                self.assertEqual(col(got, "found_best")[i], int(w["found_best"]))
                self.assertEqual(col(got, "seeds")[i], int(w["seeds"]))
        with self.assertRaises(nasw.Error) as e:
            self.t.compare("random,random", seeds=2, budget=5)
        self.assertIn("listed twice", str(e.exception))

    def test_run_budget_units_match_cli(self):
        # queries: the same trajectory as search(); seconds: as `nasw search --budget Ns`
        self.assertEqual(col(self.t.run("alpha", "evolution", seed=2, budget=15), "arch"),
                         col(self.t.search("alpha", "evolution", seed=2, budget=15), "arch"))
        run = self.t.run("alpha", "local", seed=4, budget=250, unit="seconds")
        out = subprocess.run([NASW, "search", "--table", MINI, "--dataset", "alpha", "--strategy", "local",
                              "--budget", "250s", "--seed", "4", "--trace"], capture_output=True, text=True,
                             check=True).stdout
        cli = [line.split("\t") for line in out.splitlines() if line[:1].isdigit()]
        self.assertEqual(col(run, "arch"), [c[5] for c in cli])
        costs = col(run, "total_cost_s")
        self.assertGreaterEqual(costs[-1], 250)      # the last query crosses the budget
        self.assertLess(costs[-2], 250)
        with self.assertRaises(nasw.Error) as e:
            self.t.run("alpha", "random", budget=5, unit="hours")
        self.assertIn("hours", str(e.exception))
        with self.assertRaises(nasw.Error) as e:
            self.t.run("alpha", "random", budget=2.5)
        self.assertIn("whole", str(e.exception))
        with self.assertRaises(nasw.Error) as e:
            self.t.run("alpha", "random", budget=5, unit="epochs")   # no curves
        self.assertIn("no curves", str(e.exception))


SCORED = os.path.join(ROOT, "tests", "fixtures", "figs", "scored.csv")


def kendall(a, b):
    """Kendall tau-b (as stats/ computes it)."""
    n, c, d, ta, tb = len(a), 0, 0, 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            x, y = (a[i] > a[j]) - (a[i] < a[j]), (b[i] > b[j]) - (b[i] < b[j])
            if x and y:
                c, d = c + (x == y), d + (x != y)
            elif x:
                ta += 1
            elif y:
                tb += 1
    return (c - d) / ((c + d + ta) * (c + d + tb)) ** 0.5


class PredictorTest(unittest.TestCase):
    def test_matches_nasw_predict(self):
        # one trial of `nasw predict` redone through the library: its splits, its stream
        # (seeded from the predictor's name, the seed and the trial), its sizes in order
        import csv
        import tempfile
        t = nasw.Table(SCORED)
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([NASW, "predict", "--table", SCORED, "--dataset", "alpha", "--predictors",
                            "gp,xgb:rounds=40,ensemble:members=gp+score,score", "--train-sizes", "10,20",
                            "--test-size", "30", "--trials", "1", "--seed", "3", "--splits-out",
                            os.path.join(d, "s.csv"), "--dir", os.path.join(d, "p"), "-q"], check=True)
            with open(os.path.join(d, "s.csv")) as f:
                splits = list(csv.DictReader(f))
            with open(os.path.join(d, "p", "trials.csv")) as f:
                cells = {(r["predictor"], r["train_size"]): r for r in csv.DictReader(f)}
        for name in ("gp", "xgb:rounds=40", "ensemble:members=gp+score", "score"):
            h = 1469598103934665603
            for ch in name.encode():
                h = ((h ^ ch) * 1099511628211) % 2 ** 64
            p = nasw.Predictor(t, "alpha", name, seed=h ^ (3 * 1000003 + 0 * 7919))
            for size in ("10", "20"):
                rows = [r for r in splits if r["train_size"] == size]
                tr = [r for r in rows if r["role"] == "train"]
                te = [r for r in rows if r["role"] == "test"]
                ytest = [float(r["y"]) for r in te]
                pred = list(p.fit_predict([r["arch"] for r in tr], [float(r["y"]) for r in tr],
                                          [r["arch"] for r in te]))
                cell = cells[(name, size)]
                self.assertEqual("%.6f" % kendall(pred, ytest), cell["kendall"], (name, size))
                if cell["mae"]:
                    mae = sum(abs(a - b) / len(te) for a, b in zip(pred, ytest))
                    self.assertEqual("%.6f" % mae, cell["mae"], (name, size))
        with self.assertRaises(nasw.Error) as e:
            nasw.Predictor(t, "alpha", "gp:bogus")
        self.assertIn("bogus", str(e.exception))
        with tempfile.TemporaryDirectory() as d:
            small = os.path.join(d, "small.csv")
            with open(small, "w") as f:
                f.write("arch,val_acc,test_acc,score\n00,1,2,5\n01,2,3,4\n10,3,1,6\n")
            s = nasw.Table(small)
            self.assertEqual(list(nasw.Predictor(s, 0, "score").fit_predict([], [], ["10", "00"])), [6, 5])
            with self.assertRaises(nasw.Error) as e:             # a column needs the table's rows
                nasw.Predictor(s, 0, "score").fit_predict([], [], ["11"])
            self.assertIn("not a row", str(e.exception))
        with self.assertRaises(nasw.Error):
            nasw.Predictor(t, "alpha", "gp").fit_predict(["0000"], [1.0], ["0001"])   # one training point


LC = os.path.join(ROOT, "tests", "fixtures", "cli", "lc_acc.csv")


class ExtrapolatorTest(unittest.TestCase):
    def test_matches_lcurve_fit(self):
        # `nasw lcurve fit` extrapolates through the same library calls, on one stream
        with open(LC) as f:
            next(f)
            y = [float(line.split(",")[4]) for line in f if line.startswith("0000,")]
        methods = ["last", "pow3", "ensemble", "mcmc"]
        out = subprocess.run([NASW, "lcurve", "fit", "--curves", LC, "--arch", "0000", "--epochs", "6",
                              "--method", ",".join(methods), "--seed", "3"], capture_output=True, text=True,
                             check=True).stdout
        cli = {}
        for ln in out.split("per-family fits")[0].splitlines():   # the methods' table
            if ln[:2] == "  " and ln.split()[0] in methods:
                cli[ln.split()[0]] = ln.split()[1:]
        x = nasw.Extrapolator(seed=3)
        for m in methods:
            r = x.extrapolate(y[:6], target=len(y), method=m, lo=0, hi=100)
            self.assertEqual("%.4f" % r["mean"], cli[m][0], m)
            if m != "last":
                self.assertEqual(["%.4f" % r[k] for k in ("sd", "q05", "q95")], cli[m][1:], m)
                self.assertLessEqual(r["q05"], r["mean"])
                self.assertLessEqual(r["mean"], r["q95"])
            else:
                self.assertNotEqual(r["sd"], r["sd"])   # NaN: no interval
        # reseeding replays the stream
        x.reseed(9)
        a = x.extrapolate(y[:6], len(y), "mcmc", lo=0, hi=100)
        x.reseed(9)
        self.assertEqual(a, x.extrapolate(y[:6], len(y), "mcmc", lo=0, hi=100))
        self.assertIn("weibull", nasw.extrapolation_methods())
        with self.assertRaises(nasw.Error) as e:
            x.extrapolate(y[:6], len(y), "pow9")
        self.assertIn("pow9", str(e.exception))
        with self.assertRaises(nasw.Error):
            x.extrapolate(y[:6], 3, "pow3")               # the target before the last observed epoch


MICRO = "live:fmnist:micro:nodes=3:ops=none+nor_conv_3x3"
FMNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


@unittest.skipUnless(os.path.exists(FMNIST) or os.environ.get("NASW_FMNIST"),
                     "Fashion-MNIST not installed: live bench not tested")
class LiveTest(unittest.TestCase):
    def test_live_reads_its_journal(self):
        import shutil
        import tempfile
        d = tempfile.mkdtemp()
        try:
            fix = os.path.join(ROOT, "tests", "fixtures", "figs")
            for f in ("micro.csv", "micro.csv.meta.json", "micro_curves.csv"):
                shutil.copy(os.path.join(fix, f), d)
            journal = os.path.join(d, "micro.csv")
            with open(journal) as f:
                before = f.read()
            live = nasw.Live(MICRO, journal, train_seed=0)
            self.assertEqual(live.datasets, ["fmnist"])
            self.assertEqual(live.rows, 0)
            with open(journal) as f:
                head = f.readline().strip().split(",")
                row = dict(zip(head, f.readline().strip().split(",")))
            v, t = live.query("fmnist", row["arch"])      # journaled: answered, not retrained
            self.assertAlmostEqual(v, float(row["val_acc"]), places=4)
            self.assertAlmostEqual(t, float(row["test_acc"]), places=4)
            run = live.run("fmnist", "random", seed=1, budget=3)
            self.assertEqual(len(col(run, "arch")), 3)
            live.close()
            with open(journal) as f:
                self.assertEqual(f.read(), before)             # the 8 cells were all in the journal
            with self.assertRaises(nasw.Error):
                nasw.Live("table:x.csv", journal)
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
