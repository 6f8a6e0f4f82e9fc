#!/usr/bin/env python3
"""bench/oneshot_report.py DIR - the tables of the weight-sharing reproduction
(bench/oneshot.sh) from a `nasw compare` directory on the live bench:

1. per strategy, the seeds done and the test accuracy of the best-by-validation
   cell at the budget (from DIR/summary.csv) and the paired comparisons of
   the one-shot strategies against evolution and random (DIR/pairs.csv);
2. per one-shot strategy and seed, the cell derived last and its real
   (trained) accuracies;
3. the share of parameter-free operations (none, skip_connect,
   avg_pool_3x3) in the derived cells, query by query (one per supernet
   epoch), averaged over seeds: the form DARTS' collapse takes.

Queries are stored by architecture key in DIR/runs.jsonl; a key of the NB201
cell space is the mixed-radix number of the six edge ops (edge 0 the least
significant digit), decoded here and checked against the live journal's
cells when one is given as the second argument."""
import csv, json, sys
from collections import defaultdict

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
FREE = {"none", "skip_connect", "avg_pool_3x3"}
ONESHOT = ("darts", "gdas", "enas", "rsws", "spos")


def cell(key):
    ops = []
    for _ in range(6):
        ops.append(OPS[key % 5])
        key //= 5
    e = ["%s~%d" % (ops[i], j) for i, j in zip(range(6), (0, 0, 1, 0, 1, 2))]
    return "|%s|+|%s|%s|+|%s|%s|%s|" % tuple(e)


def free_share(arch):
    ops = [t.split("~")[0] for t in arch.strip("|").replace("|+|", "|").split("|")]
    return sum(o in FREE for o in ops) / len(ops)


def main():
    d = sys.argv[1]
    known = None
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            known = {r["arch"] for r in csv.DictReader(f)}
    runs = []
    import os
    if not os.path.exists(d + "/runs.jsonl"):
        # a finished comparison removes its journal: its summary.csv and pairs.csv hold the results
        sys.exit("%s/runs.jsonl is gone (the comparison finished): see summary.csv and pairs.csv; "
                 "the per-epoch cells are reported while it runs" % d)
    with open(d + "/runs.jsonl") as f:
        for line in f:
            if line.strip():
                runs.append(json.loads(line))
    by = defaultdict(list)
    for r in runs:
        by[r["strategy"]].append(r)
    print("== %d runs in %s" % (len(runs), d))
    try:
        with open(d + "/summary.csv") as f:
            rows = list(csv.DictReader(f))
        print("\n| strategy | budget | seeds | test acc. (mean +- std) | 95% CI half-width | val acc. |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print("| %s | %s | %s | %.2f +- %.2f | %.2f | %.2f |" % (
                r["strategy"], r["budget"], r["seeds"], float(r["test_mean"]), float(r["test_std"] or 0),
                float(r["test_ci95"] or 0), float(r["val_mean"])))
    except FileNotFoundError:
        print("(no summary.csv yet: the comparison is not finished; from the finished runs:)")
    # per strategy over the seeds done: the test accuracy of the best-by-
    # validation cell at the end of each run (its budget), and the share of
    # parameter-free ops of that cell
    final = {s: {r["seed"]: r["steps"][-1][6] for r in rs if r["steps"]} for s, rs in by.items()}
    print("\n| strategy | seeds | test acc. at the budget (mean +- sd) | free ops of the incumbent |")
    print("|---|---|---|---|")
    for s in sorted(final):
        v = list(final[s].values())
        m = sum(v) / len(v)
        sd = (sum((x - m) ** 2 for x in v) / (len(v) - 1)) ** 0.5 if len(v) > 1 else 0
        inc = []
        for r in by[s]:
            best = max(r["steps"], key=lambda q: q[1])  # the incumbent: the best validation accuracy
            inc.append(free_share(cell(int(best[0]))))
        print("| %s | %d | %.2f +- %.2f | %.2f |" % (s, len(v), m, sd, sum(inc) / len(inc)))
    for ref in ("evolution", "random"):
        rk = [k for k in final if k.startswith(ref)]
        if not rk:
            continue
        print("\nPaired by seed against %s (mean difference, seeds, wins/losses):\n" % rk[0])
        for s in sorted(final):
            if not s.startswith(ONESHOT):
                continue
            common = sorted(set(final[s]) & set(final[rk[0]]))
            if not common:
                continue
            diffs = [final[s][k] - final[rk[0]][k] for k in common]
            print("- %s: %+.2f over %d seeds (%d better, %d worse)" % (
                s, sum(diffs) / len(diffs), len(diffs), sum(x > 0 for x in diffs), sum(x < 0 for x in diffs)))
    print("\n| strategy | seed | last new derived cell | free ops | val | test | queries | charged s |")
    print("|---|---|---|---|---|---|---|---|")
    shares = defaultdict(lambda: defaultdict(list))
    for s in sorted(by):
        if not s.startswith(ONESHOT):
            continue
        for r in sorted(by[s], key=lambda r: r["seed"]):
            st = r["steps"]
            if not st:
                continue
            for i, q in enumerate(st):
                a = cell(int(q[0]))
                if known is not None and a not in known:
                    sys.exit("error: decoded cell %s is not in the journal (key layout?)" % a)
                shares[s][i].append(free_share(a))
            last = st[-1]
            a = cell(int(last[0]))
            print("| %s | %d | `%s` | %d/6 | %.2f | %.2f | %d | %.0f |" % (
                s, r["seed"], a, round(6 * free_share(a)), last[1], last[2], len(st), last[4]))
    print("\nShare of parameter-free ops in the derived cell after each supernet epoch (query),")
    print("mean over the seeds that reached it:\n")
    for s in sorted(shares):
        line = " ".join("%.2f" % (sum(v) / len(v)) for _, v in sorted(shares[s].items()))
        print("- %s: %s" % (s, line))
    try:
        with open(d + "/pairs.csv") as f:
            rows = [r for r in csv.DictReader(f)]
        keys = rows[0].keys() if rows else []
        print("\nPaired comparisons (DIR/pairs.csv) of a one-shot strategy against evolution or random:\n")
        print("| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        for r in rows:
            a, b = r.get("strategy_a", ""), r.get("strategy_b", "")
            if (a.startswith(ONESHOT) and b.startswith(("evolution", "random"))) or \
               (b.startswith(ONESHOT) and a.startswith(("evolution", "random"))):
                print("| " + " | ".join(r[k] for k in keys) + " |")
    except (FileNotFoundError, IndexError):
        pass


if __name__ == "__main__":
    main()
