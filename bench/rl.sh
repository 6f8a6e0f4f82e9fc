#!/bin/sh
# bench/rl.sh - the reinforcement-learning controllers side by side:
# reinforce (factorized and LSTM), ppo (LSTM and factorized) and qlearn
# (MetaQNN) against random search, 100 seeds x 150 queries, on NAS-Bench-201
# (CIFAR-10, CIFAR-100) and on the NAS-Bench-Macro chain table.  Prints each
# comparison's summary at 50/100/150 queries and its paired tests against
# reinforce.  Output: $BENCH_OUT/rl-nb201, $BENCH_OUT/rl-macro.
set -eu
DATA=${NASW_DATA:-../shared/data}
OUT=${BENCH_OUT:-bench/out}
NASW=${NASW:-./nasw}
S=reinforce,reinforce:controller=lstm,ppo,ppo:controller=factorized,qlearn,random
mkdir -p "$OUT"
run() { # NAME TABLE [table flags]
    name=$1 table=$2
    shift 2
    [ -f "$table" ] || { echo "bench rl: $table not found; skipped"; return 0; }
    $NASW compare --table "$table" "$@" --strategies $S --seeds 100 --budget 150 --checkpoints 50,100 \
        --no-plot --quiet --dir "$OUT/$name"
    echo "== $name: mean report metric (95% CI) at 50 / 100 / 150 queries"
    awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
             {printf "%-16s %-28s %4s  %.3f +- %.3f\n", $c["dataset"], $c["strategy"], $c["budget"], $c["test_mean"], $c["test_ci95"]}' \
        "$OUT/$name/summary.csv"
    echo "== $name: paired tests against reinforce at 150 queries (p-values)"
    awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
             $c["budget"] == 150 && ($c["strategy_a"] == "reinforce" || $c["strategy_b"] == "reinforce") {
                 printf "%-16s %-28s %-28s diff %+.3f [%+.3f, %+.3f] p=%.2g %s\n", $c["dataset"], $c["strategy_a"],
                        $c["strategy_b"], $c["mean_diff"], $c["diff_ci95_lo"], $c["diff_ci95_hi"], $c["wilcoxon_p"], $c["better"]}' \
        "$OUT/$name/pairs.csv"
}
run rl-nb201 "$DATA/nasbench201/nb201_final.csv" --datasets cifar10,cifar100
run rl-macro "$DATA/nasbench_macro/nasbench_macro_cifar10.csv"
