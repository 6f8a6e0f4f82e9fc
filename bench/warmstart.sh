#!/bin/sh
# bench/warmstart.sh - warm starts from a training-free score (init=zc):
# each of evolution (AREA when warm), local and bo against itself with its
# initial architectures chosen as the best of a random pool of 1000 by a
# zero-cost column, paired over the same seeds.  Tables: the shipped
# Fashion-MNIST proxy table with nasw's own proxies (data/fmnist_proxy_zc.csv,
# column nwot), NAS-Bench-201 with NAS-Bench-Suite-Zero's zen_score
# (CIFAR-10, CIFAR-100, ImageNet16-120) and NB201's zero-cost subset with
# NASLib's nwot (AREA's setting).  Prints the mean report metric at
# 10/25/50/100 queries and the paired Wilcoxon tests (warm vs cold).
# Output: $BENCH_OUT/warm-*.  SEEDS (default 50) seeds per comparison.
set -eu
DATA=${NASW_DATA:-../shared/data}
OUT=${BENCH_OUT:-bench/out}
NASW=${NASW:-./nasw}
SEEDS=${SEEDS:-50}
JOBS=${JOBS:-1}
mkdir -p "$OUT"
run() { # NAME TABLE COLUMN [compare flags]
    name=$1 table=$2 col=$3
    shift 3
    [ -f "$table" ] || { echo "bench warmstart: $table not found; skipped"; return 0; }
    S="evolution:population=20,evolution:population=20:init=zc:$col:pool=1000"
    S="$S,local,local:init=zc:$col:pool=1000,bo,bo:init=zc:$col:pool=1000"
    nice -n 5 $NASW compare --table "$table" "$@" --strategies "$S" --seeds "$SEEDS" --budget 100 \
        --checkpoints 10,25,50 --jobs "$JOBS" --no-plot --quiet --dir "$OUT/$name"
    echo "== $name: mean report metric (95% CI) at 10 / 25 / 50 / 100 queries"
    awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
             {printf "%-16s %-42s %4s  %.3f +- %.3f\n", $c["dataset"], $c["strategy"], $c["budget"], $c["test_mean"], $c["test_ci95"]}' \
        "$OUT/$name/summary.csv"
    echo "== $name: warm (init=zc) against cold, paired over seeds"
    awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
             { a = $c["strategy_a"]; b = $c["strategy_b"]; sub(/:init=zc:.*/, "", a); sub(/:init=zc:.*/, "", b) }
             a == b && $c["strategy_a"] != $c["strategy_b"] {
                 printf "%-16s %-42s %4s diff %+.3f [%+.3f, %+.3f] p=%.2g %s\n", $c["dataset"], $c["strategy_b"],
                        $c["budget"], $c["mean_diff"], $c["diff_ci95_lo"], $c["diff_ci95_hi"], $c["wilcoxon_p"], $c["better"]}' \
        "$OUT/$name/pairs.csv"
}
run warm-fmnist data/fmnist_proxy_zc.csv nwot
run warm-nb201 "$DATA/nasbench201/nb201_final.csv" zen_score
# AREA's own setting: NASWOT on NB201 (the zero-cost subset, 724 cells per
# dataset with NASLib's scores; its only metric is val_acc, so it is reported)
run warm-nb201zc "$DATA/nasbench201/nb201_zc_subset.csv" nwot
