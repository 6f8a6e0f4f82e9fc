#!/bin/sh
# bench/bomodel.sh - bo with each surrogate of the predictor zoo
# (bo:model=gp|xgb|rf|mlp|gcn) against random search, paired over the same
# seeds: NAS-Bench-201 CIFAR-10, SEEDS (default 10) seeds, BUDGET (default
# 150) queries.
# Prints the mean report metric at a third, two thirds and all of the
# budget, the paired tests
# against bo's GP and random search, and the CPU seconds per model round
# (fit + predict of the pool + acquisition) of one run of each (seed 1).
# Resumes: the comparison is journaled by `nasw compare` (--resume), and a
# timing already measured is not redone.  MODELS: the bo specs (default
# every model).  Output: $BENCH_OUT/bomodel$BUDGET.
set -eu
DATA=${NASW_DATA:-../shared/data}
BUDGET=${BUDGET:-150}
R=$((BUDGET - 10))
OUT=${BENCH_OUT:-bench/out}/bomodel$BUDGET
NASW=${NASW:-./nasw}
SEEDS=${SEEDS:-10}
JOBS=${JOBS:-1}
NB=$DATA/nasbench201/nb201_final.csv
M=${MODELS:-"bo bo:encoding=path bo:model=xgb bo:model=rf bo:model=mlp bo:model=gcn"}
[ -f "$NB" ] || { echo "bench bomodel: $NB not found; skipped"; exit 0; }
mkdir -p "$OUT"
if [ -f "$OUT/cmp/runs.jsonl" ]; then
    nice -n 5 $NASW compare --table "$NB" --datasets cifar10 --strategies random,$(echo $M | tr ' ' ,) --seeds "$SEEDS" \
        --budget "$BUDGET" --checkpoints $((BUDGET / 3)),$((2 * BUDGET / 3)) --jobs "$JOBS" --no-plot --quiet --dir "$OUT/cmp" --resume
elif [ ! -f "$OUT/cmp/summary.csv" ]; then
    nice -n 5 $NASW compare --table "$NB" --datasets cifar10 --strategies random,$(echo $M | tr ' ' ,) --seeds "$SEEDS" \
        --budget "$BUDGET" --checkpoints $((BUDGET / 3)),$((2 * BUDGET / 3)) --jobs "$JOBS" --no-plot --quiet --dir "$OUT/cmp"
fi
echo "== bo surrogates, NB201 cifar10: mean test accuracy (95% CI) at 1/3, 2/3 and $BUDGET queries, $SEEDS seeds"
awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
         {printf "%-20s %4s  %.3f +- %.3f  regret %.3f\n", $c["strategy"], $c["budget"], $c["test_mean"], $c["test_ci95"], $c["regret_mean"]}' \
    "$OUT/cmp/summary.csv"
echo "== paired tests at $BUDGET queries"
awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
         $c["budget"] == b && ($c["strategy_a"] == "random" || $c["strategy_b"] == "random" || $c["strategy_a"] == "bo" || $c["strategy_b"] == "bo") {
             printf "%-20s %-20s diff %+.3f [%+.3f, %+.3f] p=%.2g %s\n", $c["strategy_a"], $c["strategy_b"], $c["mean_diff"],
                    $c["diff_ci95_lo"], $c["diff_ci95_hi"], $c["wilcoxon_p"], $c["better"]}' b="$BUDGET" "$OUT/cmp/pairs.csv"
echo "== CPU seconds per model round (one run, seed 1, $BUDGET queries = $R rounds after 10 random;"
echo "   the CPU seconds of the same run of random search, table load included, subtracted)"
for s in random $M; do
    f=$OUT/time-$(printf %s "$s" | tr ':=' '_-')
    [ -s "$f" ] || { OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 nice -n 5 /usr/bin/time -f %U+%S -o "$f.tmp" \
        $NASW search --table "$NB" --dataset cifar10 --strategy "$s" --budget "$BUDGET" --seed 1 >/dev/null && mv "$f.tmp" "$f"; }
    [ "$s" = random ] && { base=$(cat "$f"); continue; }
    printf "%-20s %.3f s\n" "$s" "$(echo "(($(cat "$f")) - ($base)) / $R" | bc -l)"
done
