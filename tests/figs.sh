#!/bin/sh
# tests/figs.sh - the figures are fit for a paper (docs/figures.md).
#
# Inspects the gnuplot scripts nasw writes (terminals, size in inches, fonts,
# palette, dash types, legend outside the panels, labels with units, the
# caption, the y range, file names) and the data blocks (sentinels dropped,
# ranks), and checks the PDF when gnuplot has the pdfcairo terminal (skipped
# with a message otherwise).  Small fixtures only: runs in seconds.
set -u
NASW=${NASW:-./nasw}
FIX=tests/fixtures
T=$(mktemp -d /tmp/nasw-figs.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# has FILE PATTERN DESCRIPTION: FILE has a line matching the fixed string
has() { grep -qF -- "$2" "$1" && ok || bad "$3 ($1 lacks '$2')"; }
hasnt() { grep -qF -- "$2" "$1" && bad "$3 ($1 has '$2')" || ok; }
run() { "$@" >"$T/out" 2>"$T/err" || { bad "exit $?: $*"; sed 's/^/    /' "$T/err" | head -5; }; }

GP=0
command -v gnuplot >/dev/null 2>&1 && GP=1
PDF=0
[ $GP -eq 1 ] && gnuplot -e 'set terminal' 2>&1 | grep -q pdfcairo && PDF=1
[ $GP -eq 1 ] || echo "skip: gnuplot not installed, images not checked (scripts are)"
[ $GP -eq 1 ] && [ $PDF -eq 0 ] && echo "skip: gnuplot has no pdfcairo terminal, PDF not checked"

# --- nasw plot: a comparison of two datasets, three strategies, three seeds
C="$T/cmp"
run $NASW compare --table $FIX/cli/mini.csv --strategies random,evolution,local --seeds 3 --budget 30 --jobs 1 --no-plot --quiet --dir "$C"
run $NASW plot "$C"
G="$C/trajectories.gp"
has "$G" "set terminal pdfcairo size 7.0000in," "PDF terminal, 7 in wide"
has "$G" "font 'sans,9'" "9 pt text"
has "$G" "set tics font ',8'" "8 pt tick labels"
has "$G" "set terminal pngcairo size 1050," "PNG at 150 dpi of the same figure"
has "$G" "set terminal svg size 504," "SVG of the same figure"
# Okabe-Ito: blue, vermillion, green; no red/green pair of the old palette
has "$G" "#0072B2" "palette"
has "$G" "#D55E00" "palette"
hasnt "$G" "#d62728" "red of a red/green pair"
hasnt "$G" "#2ca02c" "green of a red/green pair"
# each strategy its own dash type, the same in both panels
[ "$(grep -o "with lines lc rgb '#[0-9A-F]*' lw 1.5 dt [^ ]*" "$G" | sort -u | wc -l)" -eq 3 ] && ok \
    || bad "three strategies do not have three styles consistent over the panels"
# the legend is drawn below the panels (labels), never as a key inside one
grep -Eq "with (lines|points|yerrorbars|filledcurves).* title '" "$G" && bad "a key entry inside a panel" || ok
has "$G" "set label 11 'random'" "legend entry"
has "$G" "'validation-selection ceiling'" "legend entry of the ceiling"
has "$G" "'mean ± 95% CI over 3 seeds'" "caption with the number of seeds"
has "$G" "'test accuracy (%)'" "y label with its unit"
hasnt "$G" "'test_acc'" "raw column name as a label"
# y range: not from query 1 (whose band is far wider than the rest)
ylo=$(grep -m1 '^set yrange' "$G" | sed 's/set yrange \[\([^:]*\):.*/\1/')
q1lo=$(awk '/^#/ {b++} b == 1 && $1 == 1 {print $3; exit}' "$C/trajectories.dat")
awk -v a="$ylo" -v b="$q1lo" 'BEGIN {exit !(a != "" && b != "" && a + 0 > b + 0)}' && ok \
    || bad "y range starts at $ylo, at or below query 1's band ($q1lo)"
# --metric search: its own file names, trajectories.* untouched
cp "$G" "$T/traj.gp"
run $NASW plot "$C" --metric search
[ -s "$C/trajectories_search.gp" ] && ok || bad "plot --metric search wrote no trajectories_search.gp"
cmp -s "$G" "$T/traj.gp" && ok || bad "plot --metric search overwrote trajectories.gp"
has "$C/trajectories_search.gp" "'validation accuracy (%)'" "search metric label"
run $NASW plot "$C" --regret --metric search
[ -s "$C/regret_search.gp" ] && ok || bad "plot --regret --metric search wrote no regret_search.gp"
# a rerun of compare into the directory removes every figure of the earlier one
cp -r "$C" "$T/cmp2"
run $NASW compare --table $FIX/cli/mini.csv --strategies random --seeds 2 --budget 10 --jobs 1 --no-plot --quiet --dir "$T/cmp2"
ls "$T/cmp2" | grep -E '^(trajectories|regret)(_search)?\.(pdf|png|svg|dat|gp)$' && bad "compare rerun left figures of the earlier run" || ok
# --size in inches
run $NASW plot "$C" --size 3.5,4
has "$G" "set terminal pdfcairo size 3.5000in,4.0000in" "--size 3.5,4"
# --size on every command that draws: compare (its trajectories and regret plots)
run $NASW compare --table $FIX/cli/mini.csv --strategies random,local --seeds 2 --budget 10 --jobs 1 --quiet --size 6,3.5 --dir "$T/cmpsize"
for s in trajectories regret; do
    has "$T/cmpsize/$s.gp" "set terminal pdfcairo size 6.0000in,3.5000in" "compare --size 6,3.5 ($s)"
done
# a figure too small for its panels: the results are written, the plot is refused (exit 1)
"$NASW" compare --table $FIX/cli/mini.csv --strategies random --seeds 2 --budget 5 --jobs 1 --quiet --size 1,1 --dir "$T/cmptiny" 2>"$T/err" \
    && bad "compare --size 1,1 exits 0" || ok
has "$T/err" "error: a figure of 1 x 1 in is too small for 2 panel(s) and the legend" "compare --size 1,1: the plot's error"
[ -s "$T/cmptiny/summary.csv" ] && ok || bad "compare --size 1,1 lost summary.csv"
[ -e "$T/cmptiny/trajectories.gp" ] && bad "compare --size 1,1 wrote trajectories.gp" || ok
if [ $GP -eq 1 ]; then
    for e in png svg; do [ -s "$C/trajectories.$e" ] && ok || bad "no trajectories.$e"; done
    if [ $PDF -eq 1 ]; then
        head -c 5 "$C/trajectories.pdf" | grep -q '%PDF-' && ok || bad "trajectories.pdf is not a PDF"
        [ -s "$C/trajectories_search.pdf" ] && ok || bad "no trajectories_search.pdf"
    fi
    ls "$C" | grep -q '\.tmp' && bad "temporary files left in $C" || ok
fi

# --- nasw predict: a score column with sentinels, ranks, tick marks
P="$T/pred"
run $NASW predict --table $FIX/figs/scored.csv --dataset alpha --predictors score,gp --train-sizes 10,20,40 --test-size 40 --trials 2 --dir "$P"
has "$P/kendall.gp" "set xtics (10, 20, 40)" "kendall: a tick at every training size"
has "$P/kendall.gp" "over 2 trials" "kendall caption"
S="$P/scatter_score"
grep -v '^#' "$S.dat" | grep -q -- '-1e+08' && bad "scatter_score keeps the -1e8 sentinels" || ok
# rank against rank: whole numbers from 1 to the points kept
awk '!/^#/ && NF {n++; if ($1 != int($1) || $2 != int($2) || $1 < 1 || $2 < 1) b = 1; if ($1 > m) m = $1}
     END {exit !(n > 30 && !b && m <= n)}' "$S.dat" && ok || bad "scatter_score is not rank against rank"
has "$S.gp" "sentinel value(s) (-1e+08) dropped" "scatter caption counts the sentinels"
has "$S.gp" "'rank by score'" "scatter y label"
# a model of the metric is plotted in its units (same scale: values)
has "$P/scatter_gp.gp" "'predicted validation accuracy (%)'" "gp scatter in values with units"
has "$P/scatter_gp.gp" "'y = x'" "gp scatter diagonal"
run $NASW predict --table $FIX/figs/scored.csv --dataset alpha --predictors score,gp --train-sizes 10,20 --test-size 40 --trials 1 --size 4,3 --dir "$T/predsize"
for s in kendall scatter_score scatter_gp; do
    has "$T/predsize/$s.gp" "set terminal pdfcairo size 4.0000in,3.0000in" "predict --size 4,3 ($s)"
done

# --- nasw lcurve eval: observed part, posterior curves, 90% bands, titled by architecture
L="$T/lc"
run $NASW lcurve eval --curves $FIX/cli/lc_acc.csv --fractions 0.25 --methods ensemble,model --folds 4 --examples 2 --dir "$L"
LG="$L/examples_f0.25.gp"
has "$LG" "'observed'" "lcurve: observed part in the legend"
has "$LG" "'held-out truth'" "lcurve: held-out part in the legend"
grep '^set title' "$LG" | grep -q "line [0-9]" && bad "lcurve panels titled by CSV line" || ok
a1=$(awk -F, 'NR == 2 {print $1}' $FIX/cli/lc_acc.csv)
grep '^set title' "$LG" | grep -qF "'$a1'" && ok || bad "lcurve: first example not titled by its architecture $a1"
# each ensemble posterior curve has more than two points (not a line from k to E)
awk 'function end() {if (on && n <= 2) b = 1; on = 0}
     /^#/ {end()} /^# .*\| ensemble$/ {on = 1; n = 0; blocks++; next} on && NF {n++}
     END {end(); exit !(blocks >= 1 && !b)}' "$L/examples_f0.25.dat" \
    && ok || bad "lcurve: an ensemble extrapolation is two points joined by a line"
run $NASW lcurve eval --curves $FIX/cli/lc_acc.csv --fractions 0.25 --methods last,pow3 --folds 4 --examples 2 --size 5,2.5 --dir "$T/lcsize"
has "$T/lcsize/examples_f0.25.gp" "set terminal pdfcairo size 5.0000in,2.5000in" "lcurve eval --size 5,2.5"

# --- axis words and units from the table's sidecar "columns" (docs/tables.md), on every
# plot that labels a column; a column the sidecar does not name keeps its derived label
U="$T/units"
mkdir -p "$U"
cp $FIX/figs/scored.csv "$U/s.csv"
cat >"$U/s.csv.meta.json" <<'EOF'
{
  "columns": {
    "test_acc": {"label": "top-1 test accuracy", "unit": "% correct"},
    "val_acc": {"unit": "percent"},
    "cost_s": {"label": "GPU time", "unit": "h"}
  }
}
EOF
run $NASW compare --table "$U/s.csv" --strategies random,local --seeds 2 --budget 10 --jobs 1 --quiet --dir "$U/c" \
    --objectives val_acc:max,cost_s:min
has "$U/c/trajectories.gp" "'top-1 test accuracy (% correct)'" "compare: the sidecar's label and unit"
has "$U/c/regret.gp" "'regret, top-1 test accuracy (% correct)'" "compare regret: the sidecar's label"
has "$U/c/fronts.gp" "set xlabel 'GPU time (h)'" "compare fronts: the sidecar's cost label"
has "$U/c/fronts.gp" "'validation accuracy (percent)'" "compare fronts: a unit alone keeps the derived words"
run $NASW plot "$U/c" --metric search
has "$U/c/trajectories_search.gp" "'validation accuracy (percent)'" "plot --metric search: the sidecar's unit"
run $NASW predict --table "$U/s.csv" --dataset alpha --predictors gp --train-sizes 10 --test-size 40 --trials 1 --dir "$U/p"
has "$U/p/scatter_gp.gp" "set xlabel 'true validation accuracy (percent)'" "predict scatter: the sidecar's unit"
cp $FIX/cli/lc_acc.csv "$U/lc.csv"
printf '{"columns": {"val_acc": {"label": "held-out accuracy"}}}\n' >"$U/lc.csv.meta.json"
run $NASW lcurve eval --curves "$U/lc.csv" --fractions 0.25 --methods last,pow3 --folds 4 --examples 2 --dir "$U/l"
has "$U/l/examples_f0.25.gp" "'held-out accuracy (%)'" "lcurve: a label alone keeps the derived unit"
# the same table without the sidecar: the derived labels, datasets.csv as before
run $NASW compare --table "$U/s.csv" --no-sidecar --strategies random --seeds 2 --budget 10 --jobs 1 --quiet --dir "$U/c0"
has "$U/c0/trajectories.gp" "'test accuracy (%)'" "compare without sidecar: derived label"
head -1 "$U/c0/datasets.csv" | grep -q label && bad "datasets.csv has label columns without a sidecar" || ok

# --- nasw confirm: ranks when the predictions are of another dataset
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    MICRO="live:fmnist:micro:nodes=3:ops=none+nor_conv_3x3"
    cp $FIX/figs/micro.csv $FIX/figs/micro.csv.meta.json $FIX/figs/micro_curves.csv "$T/"
    sed 's/,fmnist,/,cifar10,/' $FIX/figs/micro.csv >"$T/other.csv"
    run $NASW compare --table "$T/other.csv" --seeds 3 --budget 3 --no-plot --quiet --dir "$T/cf"
    run env OPENBLAS_NUM_THREADS=1 $NASW confirm "$T/cf" --top 3 --bench $MICRO --journal "$T/micro.csv" --train-seed 0
    has "$T/out" "confirm.pdf plots ranks (1 = best), not values: the predictions are for dataset 'cifar10', the measurements on 'fmnist'" \
        "confirm says it plots ranks"
    has "$T/cf/confirm/confirm.gp" "(different datasets)" "confirm plot title"
    has "$T/cf/confirm/confirm.gp" "'rank by measured test_acc on fmnist'" "confirm rank axis"
    cmp -s $FIX/figs/micro.csv "$T/micro.csv" && ok || bad "confirm retrained a journaled cell"
    # same dataset: values on one y = x axis, with units
    run $NASW compare --table "$T/micro.csv" --seeds 3 --budget 3 --no-plot --quiet --dir "$T/cs"
    run env OPENBLAS_NUM_THREADS=1 $NASW confirm "$T/cs" --top 3 --bench $MICRO --journal "$T/micro.csv" --train-seed 0
    hasnt "$T/out" "plots ranks" "confirm on one dataset plots values"
    has "$T/cs/confirm/confirm.gp" "'measured (fmnist), test accuracy (%)'" "confirm value axis with units"
    run env OPENBLAS_NUM_THREADS=1 $NASW confirm "$T/cs" --top 3 --bench $MICRO --journal "$T/micro.csv" --train-seed 0 --size 3,3 --dir "$T/cs/c2"
    has "$T/cs/c2/confirm.gp" "set terminal pdfcairo size 3.0000in,3.0000in" "confirm --size 3,3"
    # predictor mode: the table's sidecar labels the metric (a table of 5 of the 8 cells:
    # the other 3 are the pool, all in the journal, so nothing is trained)
    head -6 $FIX/figs/micro.csv >"$T/five.csv"
    printf '{"columns": {"test_acc": {"label": "retrained accuracy", "unit": "pct"}}}\n' >"$T/five.csv.meta.json"
    run env OPENBLAS_NUM_THREADS=1 $NASW confirm --predictor gp --table "$T/five.csv" --top 3 --pool 3 --bench $MICRO --journal "$T/micro.csv" --train-seed 0 --dir "$T/cp"
    cmp -s $FIX/figs/micro.csv "$T/micro.csv" && ok || bad "confirm --predictor retrained a journaled cell"
    has "$T/cp/confirm.gp" "retrained accuracy (pct)" "confirm: the sidecar's label of the table"
else
    echo "skip: Fashion-MNIST not installed (dataset-fashion-mnist); confirm plot tests skipped"
fi

echo "figs: $pass passed, $fail failed"
[ $fail -eq 0 ]
