#!/bin/sh
# bench/inherit.sh - weight inheritance against training from scratch at
# equal budget: regularized evolution with and without inherit=1 on the
# live bench (Fashion-MNIST, a cheap preset), seeds 1..N, a budget in
# training seconds (the same clock for both: the seconds each training
# took, inherited or not).  Prints, per checkpoint, the mean test accuracy
# of the best-by-validation architecture of each arm and the paired
# (per-seed) difference with an exact Wilcoxon signed-rank p-value.
#
# Each arm has its own journal, shared by its seeds (a cell trained once
# answers again with the seconds it took): with one journal for both, the
# inherit arm would be answered from the scratch arm's trainings, which
# keep no weights (see docs/weight-inheritance.md), and never inherit.
# A rerun resumes from the journals.
# Environment: INHERIT_PRESET (micro), INHERIT_SEEDS (8), INHERIT_BUDGET
# (45, seconds), INHERIT_EPOCHS (1), BENCH_OUT (bench/out).
# Output: $BENCH_OUT/inherit/{scratch,inherit} (compare's files) and the
# journals $BENCH_OUT/inherit/{scratch,inherit}.csv.
set -eu
OUT=${BENCH_OUT:-bench/out}/inherit
NASW=${NASW:-./nasw}
PRESET=${INHERIT_PRESET:-micro}
SEEDS=${INHERIT_SEEDS:-8}
BUDGET=${INHERIT_BUDGET:-45}
E=${INHERIT_EPOCHS:-1}
EVO=evolution:population=10:sample=3
CK="$((BUDGET / 3)),$((2 * BUDGET / 3)),$BUDGET"
mkdir -p "$OUT"
for arm in scratch inherit; do
    spec=$EVO
    [ $arm = inherit ] && spec="$EVO:inherit=1:inherit_epochs=$E"
    # one thread, niced: the machine is shared (OpenMP threads on busy cores
    # spin at their barriers: 2 threads under load made a micro training 30x slower)
    OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=1 nice -n 5 \
        $NASW compare --bench "live:fmnist:$PRESET" --journal "$OUT/$arm.csv" --strategies "$spec" \
        --seeds "$SEEDS" --budget "${BUDGET}s" --jobs 1 --no-plot --quiet --dir "$OUT/$arm"
done
echo "== live:fmnist:$PRESET, $SEEDS seeds, evolution (population 10, sample 3), inherit_epochs=$E"
echo "   trainings from scratch / inherited: scratch arm $(($(grep -c '' "$OUT/scratch.csv") - 1)) / 0," \
    "inherit arm $(($(grep -c '' "$OUT/inherit.csv") - 1)) / $(($(grep -c '' "$OUT/inherit_inherit.csv") - 1))"
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=1 nice -n 5 \
    python3 - "$OUT/scratch/trajectories.csv" "$OUT/inherit/trajectories.csv" "$CK" "$NASW" "$PRESET" "$OUT" <<'EOF'
import csv, itertools, json, math, subprocess, sys

def at_budgets(path, budgets):
    """test accuracy of the incumbent after the queries charged within each budget, per seed"""
    runs = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            runs.setdefault(int(row["seed"]), []).append((float(row["cost_s"]), float(row["test_at_best_val"])))
    out = {}
    for seed, steps in runs.items():
        out[seed] = []
        for b in budgets:
            within = [t for c, t in steps if c <= b]
            out[seed].append(within[-1] if within else float("nan"))
    return out

def wilcoxon_exact(d):
    """two-sided exact signed-rank p (zero differences dropped, average ranks for ties)"""
    d = [x for x in d if x != 0]
    n = len(d)
    if n == 0:
        return 1.0
    order = sorted(range(n), key=lambda i: abs(d[i]))
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and abs(d[order[j + 1]]) == abs(d[order[i]]):
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    w = sum(r for r, x in zip(ranks, d) if x > 0)
    mean = sum(ranks) / 2
    extreme = sum(1 for signs in itertools.product((0, 1), repeat=n)
                  if abs(sum(r for r, s in zip(ranks, signs) if s) - mean) >= abs(w - mean) - 1e-9)
    return extreme / 2 ** n

def row(label, pairs):
    if len(pairs) < 2:
        print("%-8s (fewer than 2 seeds with a result)" % label)
        return
    ma = sum(p[0] for p in pairs) / len(pairs)
    mb = sum(p[1] for p in pairs) / len(pairs)
    d = [p[1] - p[0] for p in pairs]
    md = sum(d) / len(d)
    sd = math.sqrt(sum((x - md) ** 2 for x in d) / (len(d) - 1))
    print("%-8s %6.2f         %6.2f         %+6.2f (sd %.2f)               %.3g      (%d)"
          % (label, ma, mb, md, sd, wilcoxon_exact(d), len(pairs)))

budgets = [float(x) for x in sys.argv[3].split(",")]
a, b = at_budgets(sys.argv[1], budgets), at_budgets(sys.argv[2], budgets)
seeds = sorted(set(a) & set(b))
print("test accuracy (%) of the incumbent (best by validation) after the trainings charged within the budget")
print("budget   scratch        inherit        inherit - scratch (mean, sd)  Wilcoxon p  (n seeds)")
for k, bud in enumerate(budgets):
    row("%5.0fs" % bud, [(a[s][k], b[s][k]) for s in seeds if not math.isnan(a[s][k]) and not math.isnan(b[s][k])])

# An inherited incumbent's accuracy is that of its weights, trained along
# its whole lineage; the architecture found is judged by training it from
# scratch, as the scratch arm's are (nasw train, training seeds 1-3).
nasw, preset, out = sys.argv[4], sys.argv[5], sys.argv[6]
def final_archs(arm):
    with open("%s/%s/best.csv" % (out, arm)) as f:
        return {int(r["seed"]): r["arch"] for r in csv.DictReader(f)}
def scratch_acc(arch):
    accs = []
    for k in (1, 2, 3):
        rec = json.loads(subprocess.run([nasw, "train", "--arch", arch, "--preset", preset, "--seed", str(k), "--out", "-"],
                                        check=True, capture_output=True, text=True).stdout)
        accs.append(rec["curve"][-1]["test_acc"])
    return sum(accs) / len(accs)
fa, fb = final_archs("scratch"), final_archs("inherit")
cache = {}
for arch in set(fa.values()) | set(fb.values()):
    cache[arch] = scratch_acc(arch)
print("the final incumbents retrained from scratch (mean test accuracy of 3 trainings)")
row("%5.0fs" % budgets[-1], [(cache[fa[s]], cache[fb[s]]) for s in sorted(set(fa) & set(fb))])
EOF
