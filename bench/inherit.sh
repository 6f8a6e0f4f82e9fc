#!/bin/sh
# bench/inherit.sh - weight inheritance against training from scratch at
# equal budget: regularized evolution with and without inherit=1 on the
# live bench (Fashion-MNIST, a cheap preset), seeds 1..N, a budget in
# training seconds (the same clock for both: the seconds each training
# took, inherited or not).  Prints the mean test accuracy of the
# best-by-validation architecture at each checkpoint and the paired tests
# (Wilcoxon signed-rank over the seeds) from `nasw compare`.
# The journal is shared by the seeds (a cell trained once answers again
# with the seconds it took), and a rerun resumes.
# Environment: INHERIT_PRESET (micro), INHERIT_SEEDS (8), INHERIT_BUDGET
# (30, seconds), INHERIT_EPOCHS (1), BENCH_OUT (bench/out).
# Output: $BENCH_OUT/inherit (compare's files, journal.csv and its sidecars).
set -eu
OUT=${BENCH_OUT:-bench/out}/inherit
NASW=${NASW:-./nasw}
PRESET=${INHERIT_PRESET:-micro}
SEEDS=${INHERIT_SEEDS:-8}
BUDGET=${INHERIT_BUDGET:-30}
E=${INHERIT_EPOCHS:-1}
EVO=evolution:population=10:sample=3
mkdir -p "$OUT"
# one thread, niced: the machine is shared (OpenMP threads on busy cores
# spin at their barriers: 2 threads under load made a micro training 30x slower)
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=1 nice -n 5 \
    $NASW compare --bench "live:fmnist:$PRESET" --journal "$OUT/journal.csv" \
    --strategies "$EVO,$EVO:inherit=1:inherit_epochs=$E" --seeds "$SEEDS" --budget "${BUDGET}s" \
    --checkpoints "$((BUDGET / 3))s,$((2 * BUDGET / 3))s" --jobs 1 --no-plot --quiet --out "$OUT/cmp"
echo "== live:fmnist:$PRESET, $SEEDS seeds: mean test accuracy (95% CI) of the best-by-validation, by training seconds"
awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
         {printf "%-60s %6ss  %.2f +- %.2f\n", $c["strategy"], $c["budget"], $c["test_mean"], $c["test_ci95"]}' \
    "$OUT/cmp/summary.csv"
echo "== paired (per seed) differences, inherit=1 minus scratch"
awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
         {printf "%6ss  diff %+.2f [%+.2f, %+.2f] Wilcoxon p=%.2g %s (a=%s)\n", $c["budget"], $c["mean_diff"],
                 $c["diff_ci95_lo"], $c["diff_ci95_hi"], $c["wilcoxon_p"], $c["better"], $c["strategy_a"]}' \
    "$OUT/cmp/pairs.csv"
echo "== evaluations: trainings from scratch / inherited (journal rows, all seeds)"
echo "$(($(grep -c '' "$OUT/journal.csv") - 1)) / $(($(grep -c '' "$OUT/journal_inherit.csv" 2>/dev/null || echo 1) - 1))"
