#!/bin/sh
# tests/runs.sh - command-level failure handling of `nasw predict` and
# `nasw lcurve` (docs/outputs-columns.md):
#   - a model that cannot be fitted fails its own cell only: a warning names
#     it (predictor, trial, size / method, fold), its fields are empty, the
#     run completes with exit 0 and every other cell has its numbers;
#   - undefined statistics are empty fields, never "nan" text;
#   - plots are made after the results are written: a failing gnuplot (a
#     fake one on PATH) is a warning per plot and exit 1, the CSV files
#     identical to a run whose plots succeed.
# The failing fits are natural inputs, no injection: equal training targets
# leave a GP nothing to fit (surrogate/gp.h).
set -u
NASW=${NASW:-./nasw}
T=$(mktemp -d /tmp/nasw-runs.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# 40 chain architectures (4 layers of 3 choices), val_acc 50 on every even
# row: a training set of 2 even rows has equal targets.  `flat` is a
# constant column (a predictor whose Kendall tau is undefined).
awk 'BEGIN { print "arch,dataset,val_acc,test_acc,cost_s,flat"; n = 0
    for (a = 0; a < 3 && n < 40; a++) for (b = 0; b < 3 && n < 40; b++) for (c = 0; c < 3 && n < 40; c++)
    for (d = 0; d < 3 && n < 40; d++) { v = n % 2 ? 50 + n : 50; printf "%d%d%d%d,alpha,%g,%g,%d,1\n", a, b, c, d, v, v, 10 + n; n++ } }' >"$T/eq.csv"

# --- predict: failed GP cells
P="--table $T/eq.csv --predictors gp,cost_s,flat --train-sizes 2,10 --test-size 10 --trials 8 --seed 1"
$NASW predict $P --dir "$T/p1" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && ok || { bad "predict with failing fits: exit $rc"; sed 's/^/    /' "$T/err" | head -5; }
nw=$(grep -c "^warning: predictor 'gp' failed on trial [0-9]*, train size [0-9]*: GP hyperparameter optimisation failed: all [0-9]* training targets are equal$" "$T/err")
[ "$nw" -ge 1 ] && [ "$nw" -eq "$(grep -c '^warning: predictor' "$T/err")" ] && ! grep -q '^error' "$T/err" \
    && ok || bad "predict: expected only well-formed fit warnings, got $nw of: $(head -3 "$T/err")"
# every warning's cell is the empty row of trials.csv, and no other row is
sed -n "s/^warning: predictor '\(.*\)' failed on trial \([0-9]*\), train size \([0-9]*\):.*/\1,\3,\2,,,,,,/p" "$T/err" | sort >"$T/warned"
grep ',,,,,,$' "$T/p1/trials.csv" | sort >"$T/empty"
[ -s "$T/warned" ] && cmp -s "$T/warned" "$T/empty" && ok || bad "predict: warned cells differ from the empty rows of trials.csv"
[ "$(grep -c . "$T/p1/trials.csv")" -eq $((1 + 3 * 2 * 8)) ] && ok || bad "predict: trials.csv rows"
# summary: trials counts the successful fits; the column predictor never fails
awk -F, -v nf="$(grep -c '^gp,2,' "$T/empty")" '$1 == "gp" && $2 == 2 { t = $3 } $1 == "cost_s" && $3 == 8 { c++ }
    END { exit !(t == 8 - nf && c == 2) }' "$T/p1/summary.csv" && ok || bad "predict: summary trials column"
awk -F, '$1 == "cost_s" && $4 == "" { e = 1 } $1 == "gp" && $2 == 2 && $4 == "" { e = 1 } END { exit e }' "$T/p1/summary.csv" \
    && ok || bad "predict: a defined Kendall mean is empty"
# a constant predictor: Kendall and Spearman undefined -> empty fields, the fit time defined
awk -F, '$1 == "flat" && !($4 == "" && $5 == "" && $6 == "" && $8 != "") { b = 1 } END { exit b }' "$T/p1/summary.csv" \
    && ok || bad "predict: undefined statistics of a constant predictor are not empty fields"
[ -s "$T/p1/summary.csv" ] && ! grep -qi 'nan' "$T/p1/summary.csv" "$T/p1/trials.csv" && ok || bad "predict: nan text in a CSV output"
# the same without any failing fit: a constant predictor alone
$NASW predict --table $T/eq.csv --predictors flat --train-sizes 2 --test-size 10 --trials 2 --dir "$T/p0" >/dev/null 2>&1
[ "$(sed -n 2p "$T/p0/summary.csv" | cut -d, -f1-7)" = "flat,2,2,,,," ] && ok || bad "predict: undefined statistics: '$(sed -n 2p "$T/p0/summary.csv")'"
# the same seed gives the same numbers (timings aside)
$NASW predict $P --dir "$T/p2" >/dev/null 2>&1
cut -d, -f1-6 "$T/p1/trials.csv" >"$T/a"; cut -d, -f1-6 "$T/p2/trials.csv" >"$T/b"
cmp -s "$T/a" "$T/b" && ok || bad "predict with failing fits is not deterministic"

# --- a failing gnuplot loses no result
mkdir "$T/bin"
printf '#!/bin/sh\necho "fake gnuplot: failing" >&2\nexit 1\n' >"$T/bin/gnuplot"
chmod +x "$T/bin/gnuplot"
PATH="$T/bin:$PATH" $NASW predict $P --dir "$T/p3" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && ok || bad "predict: a failing gnuplot exits $rc, wanted 1"
[ "$(tail -1 "$T/err")" = "error: 4 plot(s) failed; the results are written" ] && ok || bad "predict: last line '$(tail -1 "$T/err")'"
grep -q "^warning: no plot '$T/p3/kendall': gnuplot failed on" "$T/err" && ok || bad "predict: no warning naming the failed kendall plot"
cut -d, -f1-6 "$T/p3/trials.csv" >"$T/c"
cmp -s "$T/a" "$T/c" && [ -s "$T/p3/summary.csv" ] && ok || bad "predict: results lost or changed when gnuplot fails"
ls "$T/p3" | grep -q '\.tmp$' && bad "predict: a temporary file is left" || ok

# --- lcurve eval: 12 curves of 10 epochs, val = 40 + 2i + g(e) (g exact in
# binary); the first 4 epochs also vary with i.  From epoch 5 on every curve
# gains the same up to epoch 10, so the model (a GP on the gains) has equal
# targets for fraction 0.5 (5 epochs seen) and fits for fraction 0.3.
awk 'BEGIN { print "arch,dataset,epoch,val_acc"; split("0 10 16 20 23 25 26 27 27.5 28", g, " ")
    for (i = 0; i < 12; i++) for (e = 1; e <= 10; e++)
        printf "%d%d%d%d,alpha,%d,%g\n", int(i / 27) % 3, int(i / 9) % 3, int(i / 3) % 3, i % 3, e, 40 + 2 * i + g[e] - (e < 5 ? (i % 3) * e : 0) }' >"$T/curves.csv"
L="--curves $T/curves.csv --methods last,pow3,model --fractions 0.3,0.5 --folds 3 --examples 2"
$NASW lcurve eval $L --dir "$T/l1" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && ok || { bad "lcurve eval with failing folds: exit $rc"; sed 's/^/    /' "$T/err" | head -5; }
[ "$(grep -c "^warning: method 'model' failed on fold [123] of 3 (4 curves, 5 epochs seen): GP hyperparameter optimisation failed: all 8 training targets are equal$" "$T/err")" -eq 3 ] \
    && [ "$(grep -c . "$T/err")" -eq 3 ] && ok || bad "lcurve eval: fold warnings: $(head -3 "$T/err")"
awk -F, '$1 == "model" && $2 == 0.5 { f = ($4 $5 $6 $7 == "" && $8 != "") } $1 == "model" && $2 == 0.3 { s = ($4 != "" && $6 != "") }
    $1 == "last" && $2 == 0.5 { l = ($4 != "") } END { exit !(f && s && l) }' "$T/l1/summary.csv" \
    && ok || bad "lcurve eval: the failed method's row is not empty, or another row is"
[ "$(grep -c '^model,0.5,5,.*,,,$' "$T/l1/predictions.csv")" -eq 12 ] && ok || bad "lcurve eval: failed predictions are not empty fields"
[ -s "$T/l1/summary.csv" ] && ! grep -qi 'nan' "$T/l1/summary.csv" "$T/l1/predictions.csv" && ok || bad "lcurve eval: nan text in a CSV output"
PATH="$T/bin:$PATH" $NASW lcurve eval $L --dir "$T/l2" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ "$(tail -1 "$T/err")" = "error: 2 plot(s) failed; the results are written" ] && ok || bad "lcurve eval: failing gnuplot: exit $rc, '$(tail -1 "$T/err")'"
cmp -s "$T/l1/predictions.csv" "$T/l2/predictions.csv" && cut -d, -f1-7 "$T/l1/summary.csv" >"$T/a" && cut -d, -f1-7 "$T/l2/summary.csv" >"$T/b" \
    && cmp -s "$T/a" "$T/b" && ok || bad "lcurve eval: results lost or changed when gnuplot fails"
# lcurve fit: the model's failure leaves the other methods' answers
$NASW lcurve fit --curves "$T/curves.csv" --arch 0011 --epochs 5 >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && grep -q "^warning: method 'model' failed: GP hyperparameter optimisation failed" "$T/err" \
    && grep -q '^  mcmc-cal ' "$T/out" && grep -q '^per-family fits' "$T/out" && ok || bad "lcurve fit: a failed model stops the others (exit $rc)"

# --- compare with one seed: no spread, no paired test -> empty, not 0 / 1
$NASW compare --table tests/fixtures/cli/mini.csv --strategies random,local --seeds 1 --budget 10 --no-plot --quiet --dir "$T/c1" >/dev/null 2>&1
awk -F, 'NR > 1 && !($6 == "" && $7 == "" && $5 != "") { b = 1 } END { exit b || NR < 2 }' "$T/c1/summary.csv" \
    && ok || bad "compare --seeds 1: test_std / test_ci95 not empty: $(sed -n 2p "$T/c1/summary.csv")"
awk -F, 'NR > 1 && !($12 == "" && $8 != "") { b = 1 } END { exit b || NR < 2 }' "$T/c1/pairs.csv" \
    && ok || bad "compare --seeds 1: wilcoxon_p not empty: $(sed -n 2p "$T/c1/pairs.csv")"
[ -s "$T/c1/summary.csv" ] && ! grep -qi nan "$T/c1/summary.csv" "$T/c1/pairs.csv" && ok || bad "compare: nan text in a CSV output"

# --- search bo: a model round whose GP cannot be fitted (every score so far
# equal) proposes a random architecture instead of ending the run
awk 'BEGIN { print "arch,dataset,val_acc,test_acc"; for (i = 0; i < 12; i++) printf "%d%d%d%d,x,50,50\n", 0, int(i / 9) % 3, int(i / 3) % 3, i % 3 }' >"$T/tie.csv"
$NASW search --table "$T/tie.csv" --strategy bo:init=2 --budget 6 --seed 2 --trace >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(grep -c '^[0-9]' "$T/out")" -eq 6 ] && ok || bad "search bo on tied scores: exit $rc, $(head -1 "$T/err")"

echo "runs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
