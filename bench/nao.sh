#!/bin/sh
# bench/nao.sh - the neural-predictor strategies side by side: nao (Luo et
# al. 2018), bananas (White et al. 2021) and bo:encoding=path (a GP on the
# same path encoding, the comparison BANANAS was published with), against
# random search, paired over the same seeds, 150 queries.  Tables:
# NAS-Bench-201 CIFAR-10 and the shipped Fashion-MNIST proxy table.  Prints
# the mean report metric at 50/100/150 queries and the paired Wilcoxon
# tests.  Output: $BENCH_OUT/nao-*.  SEEDS (default 20) seeds.
set -eu
DATA=${NASW_DATA:-../shared/data}
OUT=${BENCH_OUT:-bench/out}
NASW=${NASW:-./nasw}
SEEDS=${SEEDS:-20}
JOBS=${JOBS:-1}
S=nao,bananas,bo:encoding=path,random
mkdir -p "$OUT"
run() { # NAME TABLE [compare flags]
    name=$1 table=$2
    shift 2
    [ -f "$table" ] || { echo "bench nao: $table not found; skipped"; return 0; }
    nice -n 5 $NASW compare --table "$table" "$@" --strategies $S --seeds "$SEEDS" --budget 150 --checkpoints 50,100 \
        --jobs "$JOBS" --no-plot --quiet --dir "$OUT/$name"
    echo "== $name: mean report metric (95% CI) at 50 / 100 / 150 queries"
    awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
             {printf "%-16s %-20s %4s  %.3f +- %.3f\n", $c["dataset"], $c["strategy"], $c["budget"], $c["test_mean"], $c["test_ci95"]}' \
        "$OUT/$name/summary.csv"
    echo "== $name: paired tests at 150 queries (p-values)"
    awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
             $c["budget"] == 150 {
                 printf "%-16s %-20s %-20s diff %+.3f [%+.3f, %+.3f] p=%.2g %s\n", $c["dataset"], $c["strategy_a"],
                        $c["strategy_b"], $c["mean_diff"], $c["diff_ci95_lo"], $c["diff_ci95_hi"], $c["wilcoxon_p"], $c["better"]}' \
        "$OUT/$name/pairs.csv"
}
run nao-nb201 "$DATA/nasbench201/nb201_final.csv" --datasets cifar10
run nao-fmnist data/fmnist_proxy.csv
