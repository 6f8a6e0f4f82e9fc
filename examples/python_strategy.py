#!/usr/bin/env python3
"""A search strategy written in Python, driving nasw's C loop (budget, repeat
cache, incumbent and trajectory are the library's), next to nasw's own
regularized evolution on the same table and seeds.

    make lib
    PYTHONPATH=python python3 examples/python_strategy.py ../shared/data/nasbench201/nb201_final.csv cifar10
"""
import sys

import nasw


class HillClimber:
    """Mutate the best architecture so far; restart from a random one after
    `patience` mutations without improvement."""

    def __init__(self, table, dataset, seed, patience=20):
        self.t, self.d, self.seed, self.patience = table, dataset, seed, patience
        self.best, self.best_score, self.stale, self.k = None, float("-inf"), 0, 0

    def ask(self):
        self.k += 1
        if self.best is None or self.stale >= self.patience:
            self.stale = 0
            return self.t.sample(self.d, self.seed * 100003 + self.k)
        return self.t.mutate(self.d, self.best, self.seed * 100003 + self.k)

    def tell(self, arch, score, val, test):
        if score > self.best_score:
            self.best, self.best_score, self.stale = arch, score, 0
        else:
            self.stale += 1


def final(run):
    return run["test_at_best"][len(run["test_at_best"]) - 1]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/nasbench201/nb201_final.csv"
    dataset = sys.argv[2] if len(sys.argv) > 2 else "cifar10"
    t = nasw.Table(path)
    seeds, budget = range(1, 21), 150
    ours = [final(t.search(dataset, HillClimber(t, dataset, s), seed=s, budget=budget)) for s in seeds]
    evo = [final(t.search(dataset, "evolution", seed=s, budget=budget)) for s in seeds]
    print("nasw %s, %s %s, %d seeds x %d queries" % (nasw.version(), path, dataset, len(seeds), budget))
    print("python hill climber   mean test at best %.3f" % (sum(ours) / len(ours)))
    print("nasw evolution        mean test at best %.3f" % (sum(evo) / len(evo)))


if __name__ == "__main__":
    main()
