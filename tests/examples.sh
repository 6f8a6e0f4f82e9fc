#!/bin/sh
# tests/examples.sh - every script of examples/ runs from the repository and
# makes what its header promises, on small inputs (the environment variables
# the scripts read shrink them): seconds, not the scripts' defaults.  The
# figures are checked when gnuplot is installed, confirm when Fashion-MNIST
# is (skipped with a message otherwise).
set -u
NASW=${NASW:-./nasw}
case $NASW in /*) ;; *) NASW=$(pwd)/$NASW ;; esac
export NASW
FIX=$(pwd)/tests/fixtures
T=$(mktemp -d /tmp/nasw-examples.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
run() { "$@" >"$T/out" 2>"$T/err" && ok || { bad "exit $?: $*"; sed 's/^/    /' "$T/err" | head -5; }; }
GP=0
command -v gnuplot >/dev/null 2>&1 && GP=1
[ $GP -eq 1 ] || echo "skip: gnuplot not installed, the examples' figures not checked"

# compare: the project's own table (ships with it), two seeds
run env SEEDS=2 BUDGET=10 JOBS=1 examples/compare.sh data/fmnist_proxy.csv "$T/cmp"
[ -s "$T/cmp/summary.csv" ] && [ -s "$T/cmp/trajectories.gp" ] && ok || bad "examples/compare.sh: no summary.csv or plot script"
[ $GP -eq 0 ] || { [ -s "$T/cmp/trajectories.pdf" ] || [ -s "$T/cmp/trajectories.png" ]; } && ok || bad "examples/compare.sh: no figure"

# plot: the same comparison for one column of a paper
run examples/plot.sh "$T/cmp" 3.4,2.6
grep -qF "size 3.4000in,2.6000in" "$T/cmp/trajectories_search.gp" && ok || bad "examples/plot.sh: figure not 3.4 x 2.6 in"
[ -s "$T/cmp/regret.gp" ] && ok || bad "examples/plot.sh: no regret figure"

# predict: a GP and two zero-cost proxies of the shipped table
run env SIZES=10,20 TEST_SIZE=50 TRIALS=2 examples/predict.sh data/fmnist_proxy_zc.csv "$T/pred"
[ "$(grep -c '' "$T/pred/summary.csv")" -eq 7 ] && ok || bad "examples/predict.sh: summary.csv does not hold 3 x 2 rows"
for f in kendall scatter_gp scatter_synflow scatter_zen; do
    [ -s "$T/pred/$f.gp" ] && ok || bad "examples/predict.sh: no $f.gp"
done

# confirm: a GP on half of a journaled micro space picks cells of the other
# half; the journal holds them all, so nothing is trained
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    cp "$FIX/figs/micro.csv" "$FIX/figs/micro.csv.meta.json" "$FIX/figs/micro_curves.csv" "$T/"
    head -5 "$FIX/figs/micro.csv" >"$T/half.csv"
    run env BENCH=live:fmnist:micro:nodes=3:ops=none+nor_conv_3x3 JOURNAL="$T/micro.csv" TOP=2 POOL=4 TRAIN_SEED=0 \
        examples/confirm.sh "$T/half.csv" "$T/conf"
    [ "$(grep -c '^[0-9]' "$T/conf/confirm.csv")" -eq 2 ] && ok || bad "examples/confirm.sh: confirm.csv lacks 2 rows"
    cmp -s "$FIX/figs/micro.csv" "$T/micro.csv" && ok || bad "examples/confirm.sh trained a journaled cell"
    [ -s "$T/conf/confirm.gp" ] && ok || bad "examples/confirm.sh: no confirm.gp"
else
    echo "skip: Fashion-MNIST not installed (dataset-fashion-mnist); examples/confirm.sh not run"
fi

echo "examples: $pass passed, $fail failed"
[ $fail -eq 0 ]
