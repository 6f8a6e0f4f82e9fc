#!/bin/sh
# tests/cli.sh - end-to-end tests of the nasw command line.
#
# Every command's -h, exit codes of bad flags and bad input, determinism
# (same seed -> same output; --jobs 1 and 2 give identical files; a run of
# `nasw compare` replays exactly with `nasw search --seed K`), the output
# files of `nasw compare`, writes to /dev/full.  Real NB201 data is used when
# present ($NASW_DATA, default ../shared/data) and skipped with a message
# otherwise.
set -u
NASW=${NASW:-./nasw}
DATA=${NASW_DATA:-../shared/data}
FIX=tests/fixtures/cli
T=$(mktemp -d /tmp/nasw-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect CODE DESCRIPTION -- command...
expect() {
    code=$1; desc=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ "$rc" -eq "$code" ]; then ok; else bad "$desc: exit $rc, wanted $code"; sed 's/^/    /' "$T/err" | head -5; fi
}
# expect_err PATTERN DESCRIPTION: the last command's stderr matches
expect_err() {
    if grep -q -- "$1" "$T/err"; then ok; else bad "$2: stderr lacks '$1'"; sed 's/^/    /' "$T/err" | head -5; fi
}

# --- commands, help, usage errors
expect 2 "no command" -- $NASW
expect 2 "unknown command" -- $NASW frobnicate
expect_err "not a nasw command" "unknown command message"
expect 0 "help" -- $NASW help
for c in $($NASW help | awk '/^  [a-z]/ {print $1}'); do
    expect 0 "$c -h" -- $NASW $c -h
    grep -q "usage" "$T/out" || bad "$c -h prints no usage"
done
# nasw help CMD [SUB] is nasw CMD [SUB] -h; --version = version = VERSION (+ git)
for c in $($NASW help | awk '/^  [a-z]/ {print $1}') "tables build" "lcurve eval" "lcurve fit"; do
    $NASW $c -h >"$T/a" 2>&1
    expect 0 "help $c" -- $NASW help $c
    cmp -s "$T/a" "$T/out" && ok || bad "'nasw help $c' differs from 'nasw $c -h'"
done
expect 2 "help of an unknown command" -- $NASW help frobnicate
expect_err "'frobnicate' is not a nasw command" "help of an unknown command names it"
expect 2 "help with a stray argument" -- $NASW help tables build x
expect 0 "--version" -- $NASW --version
grep -Eq "^nasw $(cat VERSION | sed 's/\./\\./g')( \(git [0-9a-f]{7,}(-dirty)?\))?\$" "$T/out" && ok || bad "--version prints '$(cat "$T/out")'"
$NASW version | cmp -s - "$T/out" && ok || bad "'nasw version' differs from 'nasw --version'"
expect 0 "tables info -h" -- $NASW tables info -h
expect 0 "tables query -h" -- $NASW tables query -h
expect 0 "search -h lists strategies" -- $NASW search -h
for s in random evolution local reinforce population= sample= aging=; do
    grep -q -- "$s" "$T/out" || bad "search -h does not mention $s"
done
expect 2 "unknown flag" -- $NASW search --bogus
expect_err "unknown" "unknown flag message"
M="--table $FIX/mini.csv --dataset alpha"
expect 2 "unknown strategy" -- $NASW search $M --strategy foo --budget 10
expect_err "unknown strategy 'foo'" "unknown strategy message"
expect 2 "unknown key" -- $NASW search $M --strategy evolution:bogus=1 --budget 10
expect_err "bogus" "unknown key message"
expect 2 "bad value" -- $NASW search $M --strategy evolution:population=x --budget 10
expect 2 "fractional budget" -- $NASW search $M --strategy random --budget 1.5
expect 2 "bad seed" -- $NASW search $M --strategy random --budget 10 --seed abc
expect 1 "missing table" -- $NASW search --table $T/nope.csv --strategy random --budget 10
expect_err "nope.csv" "missing table names the file"
expect 1 "unknown dataset" -- $NASW search --table $FIX/mini.csv --dataset gamma --strategy random --budget 10
expect_err "gamma" "unknown dataset names it"
expect 1 "dataset required" -- $NASW search --table $FIX/mini.csv --strategy random --budget 10
printf 'arch,dataset,val_acc,test_acc\n0000,alpha,1,2\n0001,alpha,nan,2\n' >"$T/nan.csv"
expect 1 "NaN in table" -- $NASW tables info "$T/nan.csv"
expect_err "nan.csv:3:" "NaN error names path:line"
expect 1 "write to /dev/full" -- sh -c "$NASW search $M --strategy random --budget 5 > /dev/full"

# --- search: every strategy, determinism, run log
for s in random evolution:population=10:sample=3 local reinforce; do
    expect 0 "search $s" -- $NASW search $M --strategy $s --budget 40 --seed 3 --trace
    cp "$T/out" "$T/a"
    $NASW search $M --strategy $s --budget 40 --seed 3 --trace >"$T/b" 2>/dev/null
    cmp -s "$T/a" "$T/b" && ok || bad "search $s: same seed, different output"
    $NASW search $M --strategy $s --budget 40 --seed 4 --trace >"$T/c" 2>/dev/null
    cmp -s "$T/a" "$T/c" && bad "search $s: seeds 3 and 4 give identical output" || ok
    n=$(grep -c '^[0-9]' "$T/a"); [ "$n" -eq 40 ] && ok || bad "search $s: $n queries, wanted 40"
done
expect 0 "search exhausts a small space" -- $NASW search $M --strategy random --budget 500 --trace
n=$(grep -c '^[0-9]' "$T/out"); [ "$n" -eq 81 ] && ok || bad "random on 81 archs made $n queries"
grep -q "exhausted" "$T/out" && ok || bad "exhausted stop not reported"
expect 0 "search with run log" -- $NASW search $M --strategy random --budget 12 --seed 2 --out "$T/run.jsonl"
[ "$(wc -l <"$T/run.jsonl")" -eq 14 ] && ok || bad "run log: header + 12 queries + end expected"
head -1 "$T/run.jsonl" | grep -q '"seed":2' && ok || bad "run log header lacks the seed"
head -1 "$T/run.jsonl" | grep -q '"checksum":"[0-9a-f]' && ok || bad "run log header lacks the checksum"
[ ! -e "$T/run.jsonl.tmp" ] && ok || bad "temporary run log left behind"
expect 0 "budget in seconds" -- $NASW search $M --strategy random --budget 200s --trace
grep -q "simulated seconds" "$T/out" && ok || bad "seconds budget not reported"

# warm start from a zero-cost column (AREA): the full spec names it
expect 0 "search with init=zc" -- $NASW search --table data/fmnist_proxy_zc.csv --strategy evolution:population=5:init=zc:nwot:pool=100 --budget 8 --seed 2
grep -q "^strategy   evolution:population=5:sample=10:aging=1:stall=100:inherit=0:inherit_epochs=1:init=zc:nwot:pool=100$" "$T/out" && ok || bad "search: the full spec lacks the warm start"

# --- compare
# the default strategy set leaves out those that cannot search the space (nao on a set space)
printf 'arch,dataset,val_acc,test_acc\nr1-a,a,1,2\nr2-b,a,2,3\nr3-c,a,3,1\n' >"$T/set.csv"
expect 0 "compare, default strategies on a set space" -- $NASW compare --table "$T/set.csv" --budget 2 --seeds 1 --no-plot --quiet --dir "$T/cmpset"
grep -q '"nao' "$T/cmpset/manifest.json" && bad "compare ran nao on a set space" || ok
C="--table $FIX/mini.csv --strategies random,evolution:population=10:sample=3,local,reinforce --seeds 6 --budget 30 --no-plot"
expect 0 "compare" -- $NASW compare $C --checkpoints 5,10 --dir "$T/cmp1" --jobs 1
head -1 "$T/cmp1/summary.csv" | grep -q '^dataset,strategy,budget,seeds,test_mean,test_std,test_ci95,val_mean,queries_to_best' \
    && ok || bad "summary.csv header"
[ "$(wc -l <"$T/cmp1/summary.csv")" -eq $((1 + 2 * 4 * 3)) ] && ok || bad "summary.csv rows"
[ "$(wc -l <"$T/cmp1/trajectories.csv")" -eq $((1 + 2 * 4 * 6 * 30)) ] && ok || bad "trajectories.csv rows"
[ "$(wc -l <"$T/cmp1/pairs.csv")" -eq $((1 + 2 * 3 * 6)) ] && ok || bad "pairs.csv rows"
for f in datasets.csv manifest.json; do [ -s "$T/cmp1/$f" ] && ok || bad "compare wrote no $f"; done
expect 0 "compare, 2 jobs" -- $NASW compare $C --checkpoints 5,10 --dir "$T/cmp2" --jobs 2
for f in summary.csv pairs.csv trajectories.csv datasets.csv; do
    cmp -s "$T/cmp1/$f" "$T/cmp2/$f" && ok || bad "$f differs between --jobs 1 and --jobs 2"
done
# replay seed 4 of evolution on beta with nasw search
$NASW search --table $FIX/mini.csv --dataset beta --strategy evolution:population=10:sample=3 --budget 30 --seed 4 --trace \
    | awk -F'\t' '/^[0-9]/ {printf "%.6g,%.6g\n", $4, $5}' >"$T/replay"
awk -F, '$1=="beta" && $2=="evolution:population=10:sample=3" && $3==4 {printf "%.6g,%.6g\n", $5, $6}' \
    "$T/cmp1/trajectories.csv" >"$T/fromcmp"
[ -s "$T/replay" ] && cmp -s "$T/replay" "$T/fromcmp" && ok || bad "nasw search --seed 4 does not replay the compare run"
expect 2 "compare without --dir" -- $NASW compare --table $FIX/mini.csv
expect 2 "compare bad checkpoint" -- $NASW compare $C --checkpoints 50 --dir "$T/cmp3"
expect 1 "compare unknown dataset" -- $NASW compare $C --datasets alpha,gamma --dir "$T/cmp3"
expect 0 "compare in seconds" -- $NASW compare --table $FIX/mini.csv --strategies random,local --seeds 4 --budget 300s --no-plot --dir "$T/cmps"
grep -q ',seconds$' "$T/cmps/datasets.csv" && ok || bad "datasets.csv budget_unit seconds"

# --- multi-fidelity: epoch budgets, sh/hyperband/bohb, refusal without curves
# a 27-architecture chain table with 9-epoch curves (cost 2 s an epoch)
awk 'BEGIN { print "arch,dataset,val_acc,test_acc,cost_s" > "'"$T"'/mf.csv";
    print "arch,dataset,epoch,val_acc,test_acc,cost_s" > "'"$T"'/mf_curves.csv";
    for (a = 0; a < 3; a++) for (b = 0; b < 3; b++) for (c = 0; c < 3; c++) {
        k = a * 9 + b * 3 + c; fin = 50 + 3 * a + 2 * b + c + (k % 4) * 0.5; gap = 5 + (k * 7) % 11;
        for (e = 1; e <= 9; e++) printf "%d%d%d,mf,%d,%.2f,%.2f,2\n", a, b, c, e, fin - gap * (9 - e) / 9, fin - 1 - gap * (9 - e) / 9 > "'"$T"'/mf_curves.csv";
        printf "%d%d%d,mf,%.2f,%.2f,18\n", a, b, c, fin, fin - 1 > "'"$T"'/mf.csv" } }'
MF="--table $T/mf.csv --curves $T/mf_curves.csv"
expect 0 "curve fixture loads" -- $NASW tables info "$T/mf.csv" --curves "$T/mf_curves.csv"
grep -q "curves    up to 9 epochs" "$T/out" && ok || bad "mf fixture lacks its curves"
for s in sh hyperband bohb; do
    expect 0 "search $s in epochs" -- $NASW search $MF --strategy $s --budget 60e --seed 3 --trace
    cp "$T/out" "$T/a"
    $NASW search $MF --strategy $s --budget 60e --seed 3 --trace >"$T/b" 2>/dev/null
    cmp -s "$T/a" "$T/b" && ok || bad "search $s: same seed, different output"
    # column 7 of the trace: cumulative epochs charged; the run stops once it reaches 60
    awk -F'\t' '/^[0-9]/ {n++; last = $7; if ($7 >= 60) over++} END {exit !(n > 0 && last >= 60 && over == 1)}' "$T/a" \
        && ok || bad "search $s: epoch budget not respected"
    grep -q "^best .*" "$T/a" && ok || bad "search $s: no best reported"
done
# sh's first bracket (9 epochs, eta 3: 9@1 3@3 1@9) costs 9 + 3*2 + 6 = 21 epochs
$NASW search $MF --strategy sh --budget 21e --seed 1 --trace >"$T/sh" 2>/dev/null
[ "$(grep -c '^[0-9]' "$T/sh")" -eq 13 ] && ok || bad "sh: first bracket is not 13 queries"
awk -F'\t' '/^[0-9]/ {last = $7; e = $6} END {exit !(last == 21 && e == 9)}' "$T/sh" && ok || bad "sh: first bracket is not 21 epochs ending at 9"
# early termination: same seed, same run; some trainings stop before epoch 9
# (cal=0: Domhan et al.'s rule on the raw MCMC posterior)
expect 0 "search et in epochs" -- $NASW search $MF --strategy et:base=evolution:samples=100:cal=0 --budget 120e --seed 2 --trace
cp "$T/out" "$T/a"
$NASW search $MF --strategy et:base=evolution:samples=100:cal=0 --budget 120e --seed 2 --trace >"$T/b" 2>/dev/null
cmp -s "$T/a" "$T/b" && ok || bad "search et: same seed, different output"
awk -F'\t' '/^[0-9]/ {last[$8] = $6} END {for (a in last) if (last[a] < 9) s++; exit !(s > 0)}' "$T/a" \
    && ok || bad "et stopped no training early"
# cal=1 (default): conformal p-values from the trainings run to the end, so
# no stop before 1/p - 1 = 19 of them, and stops after (the last training,
# cut by the budget, is not counted)
expect 0 "search et calibrated" -- $NASW search $MF --strategy et:base=random:samples=100 --budget 243e --seed 2 --trace
awk -F'\t' '/^[0-9]/ {if (!($8 in last)) order[++n] = $8; last[$8] = $6}
    END {for (i = 1; i < n; i++) if (last[order[i]] >= 9) full++; else {s++; if (!fs) fs = full + 1}
         exit !(s > 0 && fs > 19)}' "$T/out" && ok || bad "et cal=1: stopped before 19 full trainings, or never"
expect 1 "et without curves" -- $NASW search $M --strategy et --budget 10
expect_err "strategy 'et' needs per-epoch curves" "et refusal message"
expect 0 "search random in epochs" -- $NASW search $MF --strategy random --budget 45e --seed 1 --trace
[ "$(grep -c '^[0-9]' "$T/out")" -eq 5 ] && ok || bad "random: 45 epochs are not 5 full trainings"
expect 1 "sh without curves" -- $NASW search $M --strategy sh --budget 10
expect_err "strategy 'sh' needs per-epoch curves; table '$FIX/mini.csv' has none" "sh refusal message"
expect 1 "epoch budget without curves" -- $NASW search $M --strategy random --budget 10e
expect_err "a budget in epochs needs per-epoch curves" "epoch budget refusal message"
expect 2 "bad epoch budget" -- $NASW search $M --strategy random --budget 1.5e
CM="$MF --strategies random,sh,hyperband,bohb,evolution:population=5:sample=2 --seeds 5 --budget 150e --checkpoints 50e --no-plot"
expect 0 "compare in epochs" -- $NASW compare $CM --dir "$T/cmpe1" --jobs 1
grep -q ',epochs$' "$T/cmpe1/datasets.csv" && ok || bad "datasets.csv budget_unit epochs"
head -1 "$T/cmpe1/trajectories.csv" | grep -q ',cost_s,epochs$' && ok || bad "trajectories.csv lacks the epochs column"
awk -F, 'NR > 1 && $8 > m[$2","$3] {m[$2","$3] = $8} END {for (k in m) if (m[k] < 150 || m[k] >= 150 + 9) exit 1}' "$T/cmpe1/trajectories.csv" \
    && ok || bad "compare: a run ended outside [150, 159) epochs"
expect 0 "compare in epochs, 2 jobs" -- $NASW compare $CM --dir "$T/cmpe2" --jobs 2
for f in summary.csv pairs.csv trajectories.csv best.csv; do
    cmp -s "$T/cmpe1/$f" "$T/cmpe2/$f" && ok || bad "epochs: $f differs between --jobs 1 and --jobs 2"
done
if command -v gnuplot >/dev/null 2>&1; then
    expect 0 "plot in epochs" -- $NASW plot "$T/cmpe1"
    grep -q "training epochs" "$T/cmpe1/trajectories.gp" && ok || bad "anytime plot: x axis is not epochs"
fi

# --- predict
expect 0 "predict" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors gp,gp:rbf:nowarp,cost_s --train-sizes 10,30 --test-size 30 --trials 3 --dir "$T/pred"
[ "$(wc -l <"$T/pred/summary.csv")" -eq $((1 + 3 * 2)) ] && ok || bad "predict summary rows"
awk -F, '$1=="gp" && $2==30 && $4 > 0.5 {f=1} END {exit !f}' "$T/pred/summary.csv" && ok || bad "gp does not rank the separable mini table (Kendall <= 0.5 at n=30)"
# --splits-out: nested training sets disjoint from the trial's test set; the same splits whatever the predictors
expect 0 "predict --splits-out" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors gp:nowarp --train-sizes 10,30 --test-size 30 --trials 2 --dir "$T/preds" --splits-out "$T/preds/splits.csv"
[ "$(head -1 "$T/preds/splits.csv")" = "trial,train_size,role,arch,y" ] && ok || bad "splits header"
[ "$(grep -c ',train,' "$T/preds/splits.csv")" -eq $((2 * (10 + 30))) ] && [ "$(grep -c ',test,' "$T/preds/splits.csv")" -eq $((2 * 2 * 30)) ] && ok || bad "splits row counts"
awk -F, 'NR > 1 { k = $1 "," $2 "," $4; if (k in seen) dup = 1; seen[k] = 1; if ($3 == "train" && $2 == 10) small[$1 "," $4] = 1; if ($3 == "train" && $2 == 30) big[$1 "," $4] = 1 }
    END { for (k in small) if (!(k in big)) nest = 1; exit dup || nest }' "$T/preds/splits.csv" && ok || bad "splits: an arch twice in one split, or training sets not nested"
expect 0 "predict --splits-out, other predictors" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors cost_s,gp --train-sizes 10,30 --test-size 30 --trials 2 --dir "$T/preds2" --splits-out "$T/preds2/splits.csv"
cmp -s "$T/preds/splits.csv" "$T/preds2/splits.csv" && ok || bad "splits depend on the predictors"
awk -F, 'NR == 1 { ok = $9 == "lpd_mean" } NR > 1 && $1 == "gp:nowarp" && $9 !~ /^-?[0-9.]+$/ { ok = 0 } END { exit !ok }' "$T/preds/summary.csv" && ok || bad "predict: no lpd_mean for gp:nowarp"
awk -F, 'NR > 1 && $1 != "gp:nowarp" && $9 != "" { b = 1 } END { exit b }' "$T/preds2/summary.csv" && ok || bad "predict: lpd_mean for a warped GP or a column"
expect 0 "predict lstm" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors lstm:epochs=30:hidden=16:embed=8:ensemble=2:lr=0.01 --train-sizes 30 --test-size 30 --trials 2 --dir "$T/predl"
awk -F, '$1 ~ /^lstm/ && $2==30 && $4 > 0.3 {f=1} END {exit !f}' "$T/predl/summary.csv" && ok || bad "lstm does not rank the separable mini table (Kendall <= 0.3 at n=30)"
# the predictor zoo (docs/predictor-zoo.md): each ranks the mini table, same seed same numbers
Z='xgb,rf:trees=50,mlp:epochs=60,ensemble:members=xgb+mlp/epochs=60+cost_s,ensemble:members=rf/trees=50+cost_s:combine=rank'
expect 0 "predict zoo" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors "$Z" --train-sizes 30 --test-size 30 --trials 2 --dir "$T/predz"
[ "$(awk -F, 'NR > 1 && $2 == 30 && $4 > 0.3' "$T/predz/summary.csv" | wc -l)" -eq 5 ] && ok || bad "a zoo predictor does not rank the mini table (Kendall <= 0.3 at n=30)"
expect 0 "predict zoo again" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors "$Z" --train-sizes 30 --test-size 30 --trials 2 --dir "$T/predz2"
[ "$(cut -d, -f1-6 "$T/predz/trials.csv")" = "$(cut -d, -f1-6 "$T/predz2/trials.csv")" ] && ok || bad "zoo predictors: same seed, other predictions"
expect 0 "predict gcn on a cell table" -- $NASW predict --table tests/fixtures/tables/partial.csv --dataset a --predictors gcn:epochs=40:hidden=16,xgb --train-sizes 30 --test-size 30 --trials 1 --dir "$T/predg"
[ "$(awk -F, 'NR > 1 && $2 == 30 && $4 > 0.2' "$T/predg/summary.csv" | wc -l)" -eq 2 ] && ok || bad "gcn/xgb do not rank the partial cell table (Kendall <= 0.2 at n=30)"
expect 2 "predict: bad lstm option" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors lstm:depth=2 --dir "$T/pred2"
expect 2 "predict: bad lstm value" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors lstm:ensemble=1.5 --dir "$T/pred2"
expect 2 "predict: unknown predictor" -- $NASW predict --table $FIX/mini.csv --dataset alpha --predictors nope --dir "$T/pred2"
expect 2 "predict: train size too large" -- $NASW predict --table $FIX/mini.csv --dataset alpha --train-sizes 80 --test-size 30 --dir "$T/pred2"

# --- plots
if command -v gnuplot >/dev/null 2>&1; then
    expect 0 "plot" -- $NASW plot "$T/cmp1"
    # a budget beyond the range of long (found by fuzz_plot): runs carry forward
    mkdir -p "$T/bigb" && cp "$T/cmp1/trajectories.csv" "$T/bigb/" &&
        sed '2,$s/,[0-9.e+]*,queries$/,1.7597e+19,queries/' "$T/cmp1/datasets.csv" >"$T/bigb/datasets.csv"
    expect 0 "plot with a budget of 1.76e19 queries" -- $NASW plot "$T/bigb"
    for f in trajectories.png trajectories.svg; do [ -s "$T/cmp1/$f" ] && ok || bad "plot wrote no $f"; done
    # stdout is a pipe here: running gnuplot must not duplicate buffered output
    $NASW compare --table $FIX/mini.csv --strategies random --seeds 3 --budget 10 --dir "$T/cmpplot" | cat >"$T/piped"
    [ "$(grep -c '^wrote' "$T/piped")" -eq 1 ] && ok || bad "compare output duplicated when plotting"
    [ -s "$T/cmpplot/regret.png" ] && ok || bad "compare wrote no regret.png"
else
    echo "skip: gnuplot not installed, plot test skipped"
fi
expect 1 "plot of a missing dir" -- $NASW plot "$T/none"
expect 2 "train: bad NASW_CONV" -- env NASW_CONV=fft $NASW train --arch '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|' --benchmark 1
expect_err "NASW_CONV" "train: bad NASW_CONV"

# --- live training (Fashion-MNIST from Debian's dataset-fashion-mnist)
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    MICRO="live:fmnist:micro:nodes=3:ops=none+nor_conv_3x3"
    J="$T/micro.csv"
    # train the whole 8-cell micro space live, then replay through the table backend
    expect 0 "live search trains the micro space" -- env OPENBLAS_NUM_THREADS=1 $NASW search --bench $MICRO --journal "$J" --strategy random --budget 8 --seed 5 --trace
    grep '^[0-9]' "$T/out" >"$T/live_random"
    [ "$(wc -l <"$T/live_random")" -eq 8 ] && ok || bad "live random did not train 8 cells"
    [ "$(grep -c '' "$J")" -eq 9 ] && ok || bad "journal does not hold 8 records"
    expect 0 "journal loads as a table" -- $NASW tables info "$J"
    grep -q "curves    up to 2 epochs" "$T/out" && ok || bad "journal table lacks its curves"
    $NASW search --table "$J" --strategy random --budget 8 --seed 5 --trace | grep '^[0-9]' >"$T/table_random"
    cmp -s "$T/live_random" "$T/table_random" && ok || bad "live and table backends give different random trajectories"
    for s in evolution:population=3:sample=2 local:init=2 reinforce; do
        OPENBLAS_NUM_THREADS=1 $NASW search --bench $MICRO --journal "$J" --strategy $s --budget 6 --seed 2 --trace | grep '^[0-9]' >"$T/l"
        $NASW search --table "$J" --strategy $s --budget 6 --seed 2 --trace | grep '^[0-9]' >"$T/t"
        [ -s "$T/l" ] && cmp -s "$T/l" "$T/t" && ok || bad "live and table backends differ for $s"
    done
    [ "$(grep -c '' "$J")" -eq 9 ] && ok || bad "a resumed live search retrained something"
    # a warm start on the live bench computes the proxy (as nasw score does): the first
    # population is the space's best 3 cells by nwot, best first (all journaled: no training)
    expect 0 "live warm start" -- env OPENBLAS_NUM_THREADS=1 $NASW search --bench $MICRO --journal "$J" --strategy evolution:population=3:init=zc:nwot:pool=8 --budget 3 --seed 2 --trace
    grep '^[0-9]' "$T/out" | cut -f6 >"$T/warm3"
    expect 0 "score the micro space" -- $NASW score --table "$J" --preset micro --proxies nwot --out "$T/micro_nwot.csv"
    tail -n +2 "$T/micro_nwot.csv" | sort -t, -k5,5 -g -r | head -3 | cut -d, -f1 >"$T/top3"
    [ -s "$T/warm3" ] && cmp -s "$T/warm3" "$T/top3" && ok || bad "live warm start: first population is not the top 3 by nwot"
    [ "$(grep -c '' "$J")" -eq 9 ] && ok || bad "the live warm start trained something"
    # partial trainings: hyperband (eta 2 over micro's 2 epochs: 2@1 1@2, then 2@2) trains
    # cells for 1 epoch and continues the promoted one; the journal answers the same
    # partial queries as a table, and its numbers equal the uninterrupted trainings in $J
    J2="$T/micro_mf.csv"
    expect 0 "live hyperband" -- env OPENBLAS_NUM_THREADS=1 $NASW search --bench $MICRO --journal "$J2" --strategy hyperband:eta=2 --budget 6e --seed 3 --trace
    grep '^[0-9]' "$T/out" >"$T/l"
    $NASW search --table "$J2" --strategy hyperband:eta=2 --budget 6e --seed 3 --trace | grep '^[0-9]' >"$T/t"
    [ -s "$T/l" ] && cmp -s "$T/l" "$T/t" && ok || bad "live and table backends differ for hyperband (partial trainings)"
    awk -F, 'NR > 1 && $11 == 1 {p++} NR > 1 && $11 == 2 {f++} END {exit !(p >= 1 && f >= 1)}' "$J2" \
        && ok || bad "journal lacks a partial (1-epoch) and a full row"
    awk -F, 'NR > 1 {n[$1]++; if (n[$1] > 1) d = 1} END {exit d}' "$J2" && ok || bad "journal holds an architecture twice"
    # every journaled epoch (continued or not) equals the uninterrupted training's
    awk -F, 'FNR == 1 {next} NR == FNR {v[$1","$3] = $7","$9; next} !(($1","$3) in v) || v[$1","$3] != $7","$9 {bad = 1}
        END {exit bad}' "${J%.csv}_curves.csv" "${J2%.csv}_curves.csv" && ok || bad "a continued training differs from an uninterrupted one"
    awk -F, 'NR > 1 && $11 == 1 {p[$1] = 1} END {for (a in p) print a}' "$J2" >"$T/partial"
    awk -F, 'NR == FNR {p[$1] = 1; next} ($1 in p) && $3 > 1 {bad = 1} END {exit bad}' "$T/partial" "${J2%.csv}_curves.csv" \
        && ok || bad "a stopped training went on past its epoch"
    n1=$(cat "$J2" "${J2%.csv}_curves.csv" | wc -l)
    OPENBLAS_NUM_THREADS=1 $NASW search --bench $MICRO --journal "$J2" --strategy hyperband:eta=2 --budget 6e --seed 3 --trace | grep '^[0-9]' >"$T/l2"
    cmp -s "$T/l" "$T/l2" && ok || bad "resumed live hyperband differs"
    [ "$(cat "$J2" "${J2%.csv}_curves.csv" | wc -l)" -eq "$n1" ] && ok || bad "resumed live hyperband retrained something"
    # confirm against the same (journaled) trainer: prediction = measurement
    expect 0 "compare on the live journal" -- $NASW compare --table "$J" --seeds 4 --budget 4 --no-plot --quiet --dir "$T/cj"
    expect 0 "confirm" -- env OPENBLAS_NUM_THREADS=1 $NASW confirm "$T/cj" --top 3 --bench $MICRO --journal "$J"
    grep -q "MAE 0.000" "$T/out" && ok || bad "confirm against its own journal: MAE is not 0"
    grep -q "winner holds" "$T/out" && ok || bad "confirm: winner does not hold against its own journal"
    [ "$(grep -c '' "$T/cj/confirm/confirm.csv")" -eq 4 ] && ok || bad "confirm.csv rows"
    # one table per file: no comment line a CSV reader would take for a row
    grep -q '^#' "$T/cj/confirm/confirm.csv" && bad "confirm.csv holds a comment line" || ok
    [ "$(sed -n 2p "$T/cj/confirm/confirm_stats.csv" | cut -d, -f1,4,6)" = "3,0.000000,1" ] && ok \
        || bad "confirm_stats.csv: not 3 architectures, MAE 0 and the winner holding"
    for f in confirm.csv confirm_stats.csv; do
        for c in $(head -1 "$T/cj/confirm/$f" | tr ',' ' '); do
            grep -qF "\`$c\`" docs/output-files.md || bad "docs/output-files.md lacks $f's column $c"
        done
    done
    [ "$(grep -c '' "$J")" -eq 9 ] && ok || bad "confirm retrained a journaled cell"
    expect 1 "confirm of a missing dir" -- $NASW confirm "$T/nope"
    # predictor mode: a gp fitted on 4 journaled cells ranks the 4 unseen ones; the top 2
    # train into a fresh journal (same training seeds, so they equal the full journal's rows)
    P="$T/part.csv"
    head -5 "$J" >"$P"
    PJ="$T/pj.csv"
    expect 0 "confirm --predictor" -- env OPENBLAS_NUM_THREADS=1 $NASW confirm --predictor gp --table "$P" --top 2 --pool 4 --seed 3 --bench $MICRO --journal "$PJ" --dir "$T/pc"
    [ "$(grep -c '^[0-9]' "$T/pc/confirm.csv")" -eq 2 ] && ok || bad "confirm --predictor: confirm.csv does not hold 2 rows"
    tail -n +2 "$P" | cut -d, -f1 | sort >"$T/pseen"
    grep '^[0-9]' "$T/pc/confirm.csv" | cut -d, -f2 | sort | comm -12 - "$T/pseen" | grep -q . \
        && bad "confirm --predictor retrained an architecture of the table" || ok
    grep '^[0-9]' "$T/pc/confirm.csv" | cut -d, -f2,5 >"$T/pmeas"
    while IFS=, read -r a m; do
        f=$(awk -F, -v a="$a" '$1 == a {print $3}' "$J")
        awk -v m="$m" -v f="$f" 'BEGIN {exit !(f != "" && m + 0 == f + 0)}' && ok || bad "confirm --predictor: $a measured $m, journal '$f'"
    done <"$T/pmeas"
    [ "$(grep -c '' "$PJ")" -eq 3 ] && ok || bad "confirm --predictor did not journal 2 trainings"
    cp "$T/pc/confirm.csv" "$T/pc1.csv"
    expect 0 "confirm --predictor resumes" -- env OPENBLAS_NUM_THREADS=1 $NASW confirm --predictor gp --table "$P" --top 2 --pool 4 --seed 3 --bench $MICRO --journal "$PJ" --dir "$T/pc"
    [ "$(grep -c '' "$PJ")" -eq 3 ] && ok || bad "confirm --predictor rerun retrained"
    cmp -s "$T/pc/confirm.csv" "$T/pc1.csv" && ok || bad "confirm --predictor rerun differs"
    expect 2 "confirm: unknown predictor" -- $NASW confirm --predictor foo --table "$P" --bench $MICRO --journal "$PJ" --dir "$T/pc"
    expect 2 "confirm: --predictor without --table" -- $NASW confirm --predictor gp --bench $MICRO --journal "$PJ" --dir "$T/pc"
    expect 2 "confirm: bad --pool" -- $NASW confirm --predictor gp --table "$P" --pool x --bench $MICRO --journal "$PJ" --dir "$T/pc"
    expect 1 "confirm: pool beyond the unseen" -- $NASW confirm --predictor gp --table "$P" --pool 5 --bench $MICRO --journal "$PJ" --dir "$T/pc"
    expect_err "4 architectures that are not in the table" "confirm: pool beyond the unseen"
    expect 1 "confirm: a table the live bench cannot train" -- $NASW confirm --predictor gp --table tests/fixtures/tables/chain.csv --bench $MICRO --journal "$PJ" --dir "$T/pc"
    expect_err "cannot be trained by" "confirm: a table the live bench cannot train"
    [ "$(grep -c '' "$PJ")" -eq 3 ] && ok || bad "confirm errors touched the journal"
    # kill -9 in the middle of a build (as soon as a training has checkpointed
    # an epoch), then resume: nothing lost but the epoch in training, and the
    # result equals an uninterrupted build's bit for bit (but for the seconds)
    B="$T/build.csv"
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NASW tables build --sample 5 --preset micro --seed 1 --out "$B" >/dev/null 2>&1 &
    pid=$!
    i=0; while [ ! -e "$B.ckpt" ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    n1=$(($(grep -c '' "$B") - 1)); ck=0; [ -e "$B.ckpt" ] && ck=1
    [ $i -lt 6000 ] && ok || bad "build wrote no checkpoint after an epoch"
    [ "$(grep -c '' "${B%.csv}_curves.csv")" -gt $((2 * n1 + 1)) ] && ok || bad "the killed training's epoch was not journaled"
    expect 0 "build resumes after kill -9" -- env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NASW tables build --sample 5 --preset micro --seed 1 --out "$B" --verbose
    grep -q "$((5 - n1)) trained now, $n1 resumed" "$T/out" && ok || bad "resume retrained finished cells ($n1 done before the kill)"
    # (unless the kill came after the training's end removed its checkpoint)
    [ $ck -eq 0 ] || grep -q "(epochs 2\.\.2)" "$T/err" && ok || bad "resume did not continue the killed training from its checkpoint"
    [ ! -e "$B.ckpt" ] && ok || bad "a checkpoint outlived its training"
    expect 0 "uninterrupted build" -- env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NASW tables build --sample 5 --preset micro --seed 1 --out "$T/build_ref.csv"
    cut -d, -f1-7,9- "$B" >"$T/b1"; cut -d, -f1-7,9- "$T/build_ref.csv" >"$T/b2"
    cmp -s "$T/b1" "$T/b2" && ok || bad "a build killed and resumed differs from an uninterrupted one"
    cut -d, -f1-9 "${B%.csv}_curves.csv" >"$T/b1"; cut -d, -f1-9 "$T/build_ref_curves.csv" >"$T/b2"
    cmp -s "$T/b1" "$T/b2" && ok || bad "the curves of a build killed and resumed differ from an uninterrupted one"
    # nasw train --out: the same, from OUT.ckpt
    R="$T/tr.json"
    DA0='|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
    TR="$NASW train --arch $DA0 --preset micro --epochs 3 --train-size 3000 --seed 2"
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $TR --out "$R" >/dev/null 2>&1 &
    pid=$!
    i=0; while [ ! -e "$R.ckpt" ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    cp "$R.ckpt" "$T/saved.ckpt" 2>/dev/null
    expect 0 "train resumes after kill -9" -- env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $TR --out "$R"
    [ ! -e "$T/saved.ckpt" ] || grep -q "resuming at epoch [23] from checkpoint" "$T/out" && ok || bad "train did not resume from its checkpoint"
    [ ! -e "$R.ckpt" ] && ok || bad "train left its checkpoint"
    expect 0 "uninterrupted train" -- env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $TR --out "$T/tr_ref.json"
    grep -v '"seconds"' "$R" >"$T/b1"; grep -v '"seconds"' "$T/tr_ref.json" >"$T/b2"
    [ "$(grep -c '"epoch"' "$T/b1")" -eq 3 ] && cmp -s "$T/b1" "$T/b2" && ok || bad "a training killed and resumed differs from an uninterrupted one"
    # a checkpoint of other settings is refused, and touches nothing
    if [ -e "$T/saved.ckpt" ]; then
        mkdir "$T/ck"; cp "$T/saved.ckpt" "$T/ck/r.json.ckpt"
        expect 1 "train: checkpoint of another seed" -- env OMP_NUM_THREADS=1 $NASW train --arch $DA0 --preset micro --epochs 3 --train-size 3000 --seed 5 --out "$T/ck/r.json"
        expect_err "error: checkpoint '.*r.json.ckpt' was made with other training settings" "train: checkpoint of another seed"
        [ ! -e "$T/ck/r.json" ] && ok || bad "train with a refused checkpoint wrote its --out"
        # as a journal's checkpoint it continues none of the journal's trainings
        cp "$T/saved.ckpt" "$T/build_ref.csv.ckpt"
        expect 1 "build: checkpoint of no training in the journal" -- env OMP_NUM_THREADS=1 $NASW tables build --sample 5 --preset micro --seed 1 --out "$T/build_ref.csv"
        expect_err "was made with other training settings (it continues no training of journal" "build: foreign checkpoint"
        rm -f "$T/build_ref.csv.ckpt"
    else
        echo "skip: the training ended before it was killed: checkpoint refusal tests skipped"
    fi
    # a journal made with other settings is refused
    expect 1 "build: other preset" -- $NASW tables build --sample 5 --preset proxy --seed 1 --out "$B"
    expect_err "error: journal '.*build.csv' was made with preset 'micro', not 'proxy'" "build: other preset"
    expect 0 "resumed build loads as a table" -- $NASW tables info "$B"
    grep -q "fmnist (5)" "$T/out" && ok || bad "resumed build does not hold 5 cells"
    # scale-out with MPI: rank 0 searches and journals, ranks 1-2 train
    case "$NASW" in *asan*) mpi_ok=0 ;; *) mpi_ok=1 ;; esac  # libmpi is not leak-clean under LSan
    if [ $mpi_ok -eq 1 ] && command -v mpirun >/dev/null 2>&1; then
        root=""; [ "$(id -u)" = 0 ] && root="--allow-run-as-root"
        M="$T/mpi.csv"
        expect 0 "mpirun search" -- timeout 300 env OPENBLAS_NUM_THREADS=1 mpirun --oversubscribe $root -np 3 $NASW search --bench $MICRO --journal "$M" --strategy evolution:population=3:sample=2 --budget 6 --seed 1
        grep -q "2 MPI training workers" "$T/err" && ok || bad "mpirun search did not use 2 workers"
        grep -q "queries    6 (stop: budget)" "$T/out" && ok || bad "mpirun search did not make 6 queries"
        [ "$(grep -c '' "$M")" -eq 7 ] && ok || bad "mpirun journal does not hold 6 records"
        expect 0 "mpirun journal loads as a table" -- $NASW tables info "$M"
        expect 0 "mpirun tables build" -- timeout 300 env OPENBLAS_NUM_THREADS=1 mpirun --oversubscribe $root -np 3 $NASW tables build --sample 4 --preset micro --seed 3 --out "$T/mpib.csv"
        grep -q "built 4 architectures" "$T/out" && ok || bad "mpirun tables build"
        expect 1 "mpirun with a bad bench does not hang" -- timeout 120 mpirun --oversubscribe $root -np 3 $NASW search --bench live:fmnist:bogus --strategy random --budget 3
        # score over MPI ranks: rank 0 journals, rank 1 scores; the same rows as one process
        printf 'arch,dataset,val_acc\n|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|,toy,1\n|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_3x3~2|,toy,2\n|skip_connect~0|+|none~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|,toy,3\n' >"$T/mpis.csv"
        MS="score --table $T/mpis.csv --input 1x8x8 --channels 2 --data random --batch 8 --seed 5"
        expect 0 "score, one process" -- $NASW $MS --out "$T/mpis1.csv"
        expect 0 "mpirun score" -- timeout 300 env OPENBLAS_NUM_THREADS=1 mpirun --oversubscribe $root -np 2 $NASW $MS --out "$T/mpis2.csv"
        grep -q "1 MPI scoring workers" "$T/err" && ok || bad "mpirun score did not use 1 worker"
        [ "$(sort "$T/mpis1.csv")" = "$(sort "$T/mpis2.csv")" ] && ok || bad "mpirun score: 2 ranks differ from 1"
        expect 1 "mpirun score with a missing table does not hang" -- timeout 120 mpirun --oversubscribe $root -np 2 $NASW score --table "$T/nope.csv" --out "$T/mpis3.csv"
    else
        echo "skip: mpirun not available (or sanitizer build): MPI tests skipped"
    fi
    expect 2 "train: bad flag value" -- $NASW train --arch x --epochs -1
    expect 1 "train: unparsable arch" -- $NASW train --arch '|conv~0|'
    expect 0 "train micro" -- env OPENBLAS_NUM_THREADS=1 $NASW train --arch '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|' --preset micro --epochs 1 --out "$T/run.json"
    grep -q '"status": "done"' "$T/run.json" && ok || bad "train --out has no final status"
    expect 0 "train benchmark" -- env OPENBLAS_NUM_THREADS=1 $NASW train --arch '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|' --channels 4 --cells 1 --batch-size 8 --benchmark 2
    grep -q "throughput: [0-9.]* images/s" "$T/out" && ok || bad "train --benchmark prints no throughput"
    DA='|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
    expect 0 "train --train-size" -- env OMP_NUM_THREADS=1 $NASW train --arch "$DA" --preset micro --epochs 1 --train-size 640 --seed 3
    grep -q "640 train" "$T/out" && ok || bad "train --train-size 640 not applied"
    expect 2 "train: --train-size beyond the split" -- $NASW train --arch "$DA" --preset micro --train-size 59500
    # --train-seed: the same sample as --seed, trained with other seeds
    expect 0 "build --train-seed" -- env OPENBLAS_NUM_THREADS=1 $NASW tables build --sample 2 --preset micro --seed 1 --train-seed 9 --out "$T/ts.csv"
    cut -d, -f1 "$T/ts.csv" | sort >"$T/ts_archs"
    head -3 "$B" | cut -d, -f1 | sort >"$T/b_archs"
    cmp -s "$T/ts_archs" "$T/b_archs" && ok || bad "build --train-seed changed the sample"
    [ "$(cut -d, -f3 "$T/ts.csv" | sort)" != "$(head -3 "$B" | cut -d, -f3 | sort)" ] && ok || bad "build --train-seed trained with the same seed"
    expect 2 "build: bad --train-seed" -- $NASW tables build --sample 2 --preset micro --train-seed -1 --out "$T/ts2.csv"
else
    echo "skip: Fashion-MNIST not installed (dataset-fashion-mnist); live training tests skipped"
fi

# --- lcurve: learning-curve extrapolation
LA=$FIX/lc_acc.csv; LL=$FIX/lc_loss.csv
expect 0 "lcurve -h" -- $NASW lcurve -h
expect 0 "lcurve eval -h" -- $NASW lcurve eval -h
expect 0 "lcurve fit -h" -- $NASW lcurve fit -h
expect 2 "lcurve without subcommand" -- $NASW lcurve
expect 2 "lcurve unknown subcommand" -- $NASW lcurve frob
expect 2 "lcurve eval bad flag" -- $NASW lcurve eval --curves $LA --bogus --dir "$T/lc"
expect_err "bogus" "lcurve bad flag message"
expect 2 "lcurve eval unknown method" -- $NASW lcurve eval --curves $LA --methods pow3,pow9 --dir "$T/lc"
expect_err "unknown method 'pow9'" "lcurve unknown method message"
expect 2 "lcurve eval bad fraction" -- $NASW lcurve eval --curves $LA --fractions 0.1,1.5 --dir "$T/lc"
expect_err "1.5" "lcurve bad fraction names it"
expect 2 "lcurve eval fraction too small" -- $NASW lcurve eval --curves $LA --fractions 0.05 --dir "$T/lc"
expect 2 "lcurve eval without --dir" -- $NASW lcurve eval --curves $LA
expect 2 "lcurve eval bad --lo" -- $NASW lcurve eval --curves $LA --lo x --dir "$T/lc"
expect 1 "lcurve missing file" -- $NASW lcurve eval --curves "$T/nope.csv" --dir "$T/lc"
expect_err "nope.csv" "lcurve missing file names it"
expect 1 "lcurve table without curves" -- $NASW lcurve eval --curves $FIX/mini.csv --dataset alpha --dir "$T/lc"
expect_err "no per-epoch curves" "lcurve refuses a table without curves"
expect 1 "lcurve values outside the range" -- $NASW lcurve eval --curves $LA --hi 50 --dir "$T/lc"
expect_err "lc_acc.csv:[0-9]*: val_acc" "lcurve range error names file:line"
expect 0 "lcurve eval accuracies" -- $NASW lcurve eval --curves $LA --fractions 0.25,0.5 --methods all --folds 4 --examples 2 --dir "$T/lc1"
[ "$(head -1 "$T/lc1/summary.csv")" = "method,fraction,curves,spearman,kendall,mae,coverage90,fit_ms" ] && ok || bad "lcurve summary header"
[ "$(wc -l <"$T/lc1/summary.csv")" -eq $((1 + 2 * 16)) ] && ok || bad "lcurve summary rows"
[ "$(wc -l <"$T/lc1/predictions.csv")" -eq $((1 + 2 * 16 * 32)) ] && ok || bad "lcurve predictions rows"
awk -F, '$1=="last" && $7 != "" {b=1} $1=="mcmc" && $7 == "" {b=1} END {exit b}' "$T/lc1/summary.csv" && ok || bad "coverage90 empty for last only"
[ -s "$T/lc1/examples_f0.25.gp" ] && [ ! -e "$T/lc1/summary.csv.tmp" ] && ok || bad "lcurve plots or temporary files"
# the model beats the last seen value on MAE (the fixture's curves still rise)
awk -F, '$2==0.5 {mae[$1]=$6} END {exit !(mae["model"] < mae["last"] / 2)}' "$T/lc1/summary.csv" && ok || bad "lcurve model MAE not below half of last's"
$NASW lcurve eval --curves $LA --fractions 0.25,0.5 --methods all --folds 4 --examples 0 --dir "$T/lc2" >/dev/null 2>&1
cmp -s "$T/lc1/predictions.csv" "$T/lc2/predictions.csv" && ok || bad "lcurve eval: same seed, different predictions"
$NASW lcurve eval --curves $LA --fractions 0.5 --methods mcmc,model --folds 4 --examples 0 --seed 2 --dir "$T/lc3" >/dev/null 2>&1
grep '^mcmc,0.5' "$T/lc1/predictions.csv" >"$T/p1"; grep '^mcmc,0.5' "$T/lc3/predictions.csv" >"$T/p3"
cmp -s "$T/p1" "$T/p3" && bad "lcurve eval: seeds 1 and 2 give identical MCMC predictions" || ok
# mcmc-cal: mcmc's chains moved by leave-one-curve-out conformal offsets; with
# 31 other curves the band spans their extreme residuals: 30 of 32 covered
awk -F, '$1=="mcmc-cal" {n++; if (!($7 >= 0.9 && $7 <= 0.95)) b=1} END {exit b || n != 2}' "$T/lc1/summary.csv" && ok || bad "mcmc-cal coverage90 not 0.9..0.95"
awk -F, '$1=="mcmc" {s[$2]=$4} $1=="mcmc-cal" {c[$2]=$4} END {for (f in s) if (c[f] < s[f] - 0.1) exit 1}' "$T/lc1/summary.csv" && ok || bad "mcmc-cal ranks unlike mcmc's chains"
expect 0 "lcurve eval losses" -- $NASW lcurve eval --curves $LL --fractions 0.5 --methods last,pow3,ensemble,mcmc,model --folds 4 --examples 1 --dir "$T/lc4"
grep -q "lower is better" "$T/out" && ok || bad "loss curves not lower-is-better"
awk -F, '$1=="pow3" {exit !($6 < 0.05)} ' "$T/lc4/summary.csv" && ok || bad "pow3 MAE on power-law losses"
expect 0 "lcurve fit" -- $NASW lcurve fit --curves $LA --arch 0012 --epochs 4
for m in last pow3 ensemble mcmc model mcmc-cal; do grep -q "^  $m " "$T/out" && ok || bad "lcurve fit lacks $m"; done
grep -q "per-family fits" "$T/out" && ok || bad "lcurve fit lacks the per-family fits"
expect 0 "lcurve fit one method, later target" -- $NASW lcurve fit --curves $LL --arch 0012 --epochs 6 --method pow3 --target 40
expect 1 "lcurve fit unknown arch" -- $NASW lcurve fit --curves $LA --arch 2222 --epochs 4
expect 2 "lcurve fit without --epochs" -- $NASW lcurve fit --curves $LA --arch 0012
expect 2 "lcurve fit target before epochs" -- $NASW lcurve fit --curves $LA --arch 0012 --epochs 6 --target 5
expect 1 "lcurve fit to /dev/full" -- sh -c "$NASW lcurve fit --curves $LA --arch 0012 --epochs 4 --method last > /dev/full"
expect 0 "lcurve eval fmnist table" -- $NASW lcurve eval --curves data/fmnist_proxy_curves.csv --fractions 0.5,0.75 --methods last,ensemble,model --folds 5 --examples 0 --dir "$T/lc5"

# --- output files (docs/outputs.md): special files in place, '-' = stdout,
# no symlink followed, compare reruns, killed runs leave no temporary file
OS="$NASW search --table $FIX/mini.csv --dataset alpha --strategy random --budget 5"
expect 0 "search --out /dev/null" -- $OS --out /dev/null
[ "$(stat -c %F /dev/null)" = "character special file" ] && ok || bad "/dev/null is no longer a character device"
if [ "$(id -u)" = 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
    # as root a rename over a device replaces it: try it on our own node
    expect 0 "search --out a device node" -- $OS --out "$T/null"
    [ -c "$T/null" ] && ok || bad "a device node given to --out became a $(stat -c %F "$T/null")"
else
    echo "skip: not root or no mknod, device-node target test skipped"
fi
mkfifo "$T/fifo"
timeout 60 cat "$T/fifo" >"$T/fifo.out" &
expect 0 "search --out FIFO" -- $OS --out "$T/fifo"
wait
[ -p "$T/fifo" ] && ok || bad "a FIFO given to --out became a $(stat -c %F "$T/fifo")"
[ "$(grep -c '"type":' "$T/fifo.out")" -eq 7 ] && ok || bad "the FIFO reader did not get the run log"
expect 0 "search --out -" -- $OS --out -
[ "$(grep -c '^{"type":' "$T/out")" -eq 7 ] && [ "$(wc -l <"$T/out")" -eq 7 ] && ok || bad "--out - did not put the run log alone on stdout"
grep -q '^strategy ' "$T/err" && ok || bad "--out -: the summary is not on stderr"
echo precious >"$T/victim"
ln -s "$T/victim" "$T/planted.jsonl.tmp"
expect 0 "search --out beside a planted symlink" -- $OS --out "$T/planted.jsonl"
[ "$(cat "$T/victim")" = precious ] && [ -L "$T/planted.jsonl.tmp" ] && [ -f "$T/planted.jsonl" ] && ok \
    || bad "a symlink at the old temporary name was followed or touched"
ls "$T" | grep -q '\.[0-9]*\.[0-9a-f]*\.tmp$' && bad "a temporary file was left in $T" || ok
# compare into the directory of an earlier comparison: its outputs are all
# replaced (no stale plot beside new CSVs), other files are kept
CR="$NASW compare --table $FIX/mini.csv --strategies random --seeds 2 --budget 5 --quiet --dir $T/rerun"
mkdir "$T/rerun" && echo mine >"$T/rerun/notes.txt"
expect 0 "compare, first run" -- $CR
expect 0 "compare, rerun without plots" -- $CR --no-plot
ls "$T/rerun" | grep -qE '^(trajectories|regret)\.(pdf|png|svg|dat|gp)$' && bad "compare rerun left plots of the earlier run" || ok
[ -f "$T/rerun/notes.txt" ] && ok || bad "compare rerun removed a file it does not own"
grep -q '"status": "done"' "$T/rerun/manifest.json" && ok || bad "compare manifest not finalised as done"
# killed while gnuplot runs (a stand-in that waits): SIGTERM removes the
# temporary files; after SIGKILL the rerun removes them
mkdir -p "$T/slowbin"
printf '#!/bin/sh\necho $$ >"%s/gp.pid"\nexec sleep 30\n' "$T" >"$T/slowbin/gnuplot"
chmod +x "$T/slowbin/gnuplot"
for sig in TERM KILL; do
    rm -f "$T/gp.pid"
    PATH="$T/slowbin:$PATH" $CR >/dev/null 2>&1 &
    pid=$!
    i=0; while [ ! -s "$T/gp.pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    kill -$sig $pid; wait $pid 2>/dev/null
    kill "$(cat "$T/gp.pid")" 2>/dev/null
    grep -q '"status": "running"' "$T/rerun/manifest.json" && ok || bad "killed compare: manifest not left as running"
    n=$(ls "$T/rerun" | grep -c '\.tmp$')
    if [ $sig = TERM ]; then [ "$n" -eq 0 ] && ok || bad "SIGTERM left $n temporary files"; fi
    if [ $sig = KILL ]; then [ "$n" -eq 3 ] && ok || bad "SIGKILL left $n temporary files, wanted the 3 plot outputs (pdf, png, svg)"; fi
done
expect 0 "compare rerun after a killed one" -- $CR --no-plot
[ "$(ls "$T/rerun" | grep -c '\.tmp$')" -eq 0 ] && ok || bad "compare rerun left the temporary files of the killed run"
# --- multi-objective and constrained search (docs/multi-objective.md); the
# fixture's fronts by hand: (val_acc, lat) 00 01 10 20 22 12, hypervolume
# 40+70+50+15+6+2 = 183 above (5, 9); reported (test_acc, lat) 32+77+40+12+12+2
# = 175 above (6, 9); under lat<=6: 00 01 10 20, 32+77+40+12 = 161
MO=tests/fixtures/moo/lat.csv
expect 0 "tables info front" -- $NASW tables info $MO --objectives val_acc:max,lat:min
grep -q "front 6 architectures, hypervolume 183 " "$T/out" && grep -q "front 6 architectures, hypervolume 175$" "$T/out" && ok || bad "tables info: front 6 / HV 183 and 175 not shown"
for s in random nsga2 pls parego ehvi evolution; do
    expect 0 "search $s exhausts the fixture" -- $NASW search --table $MO --strategy $s --budget 9 --objectives val_acc:max,lat:min --constraint 'lat<=6'
    grep -q "^front      4 architectures (3 infeasible of 9 queries)" "$T/out" && grep -q "^hv_regret  0 (.*hypervolume 161)" "$T/out" && ok || bad "search $s: constrained front of 4 / HV 161 not found"
done
expect 0 "compare objectives" -- $NASW compare --table $MO --strategies random,pls --seeds 4 --budget 9 --checkpoints 3 --objectives val_acc:max,lat:min --no-plot --quiet --jobs 1 --dir "$T/mo1"
expect 0 "compare objectives jobs 2" -- $NASW compare --table $MO --strategies random,pls --seeds 4 --budget 9 --checkpoints 3 --objectives val_acc:max,lat:min --no-plot --quiet --jobs 2 --dir "$T/mo2"
for f in hypervolume.csv hv_pairs.csv hv_regret.csv fronts.csv; do cmp -s "$T/mo1/$f" "$T/mo2/$f" && ok || bad "compare objectives: $f differs between --jobs 1 and 2"; done
awk -F, '$3==9 && $5!=0 {e=1} END {exit e}' "$T/mo1/hypervolume.csv" && [ "$(grep -c ',9,4,0,' "$T/mo1/hypervolume.csv")" -eq 2 ] && ok || bad "compare objectives: regret 0 at the exhausted budget"
HW=$DATA/hw_nasbench201/hw_nb201_latency_wide.csv
if [ -f "$HW" ]; then
    expect 0 "tables info hw-nb201 front" -- $NASW tables info "$HW" --objectives val_acc:max,fpga_latency:min
    grep -q "front 14 architectures" "$T/out" && ok || bad "hw-nb201: the fpga front of 14 not shown"
else
    echo "skip: $HW not found (set NASW_DATA); hw-nb201 test skipped"
fi

# --- real data
NB=$DATA/nasbench201/nb201_final.csv
if [ -f "$NB" ]; then
    expect 0 "tables info nb201" -- $NASW tables info "$NB"
    grep -q "46875" "$T/out" && ok || bad "tables info: 46875 rows not shown"
    expect 0 "tables query nb201" -- $NASW tables query "$NB" '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|' --dataset cifar10
    grep -q "94.37" "$T/out" && ok || bad "tables query: best cifar10 test_acc 94.37 not shown"
    expect 1 "tables query bad arch" -- $NASW tables query "$NB" '|conv~0|'
    expect 0 "compare nb201" -- $NASW compare --table "$NB" --seeds 5 --budget 50 --no-plot --dir "$T/nb"
    [ "$(wc -l <"$T/nb/summary.csv")" -eq $((1 + 3 * 10)) ] && ok || bad "nb201 summary rows"
    MAC=$DATA/nasbench_macro/nasbench_macro_cifar10.csv
    LC=$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv
    expect 0 "lcurve eval nb201" -- $NASW lcurve eval --curves "$LC" --fractions 0.1 --methods last,model --examples 0 --dir "$T/lcnb"
    # the goal of the model-based extrapolator at 10% of the epochs: Spearman >= 0.85, MAE < 3
    awk -F, '$1=="model" {exit !($4 >= 0.85 && $6 < 3)}' "$T/lcnb/summary.csv" && ok || bad "lcurve model on nb201 misses Spearman 0.85 / MAE 3"
    expect 0 "search macro" -- $NASW search --table "$MAC" --strategy evolution --budget 100
    grep -q "test_acc_mean" "$T/out" && ok || bad "macro: not searched on test_acc_mean"
else
    echo "skip: $NB not found (set NASW_DATA); real-data CLI tests skipped"
fi

# --- nasw score (zero-cost proxies): random inputs, so no data needed
S=$T/score
mkdir -p "$S"
printf 'arch,dataset,val_acc,test_acc\n' >"$S/t.csv"
for a in '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|' \
    '|avg_pool_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|' \
    '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|none~2|' \
    '|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'; do
    printf '%s,toy,%s,%s\n' "$a" "$(printf '%s' "$a" | wc -c)" 50 >>"$S/t.csv"
done
SC="score --table $S/t.csv --input 1x8x8 --channels 2 --data random --batch 8"
expect 0 "score 1 thread" -- $NASW $SC --threads 1 --out "$S/a.csv"
# the dead cell (output cut off by none edges): empty Jacobian scores, counted
expect_err "warning: 2 undefined scores written as empty fields (jacov 1, epe_nas 1)" "score undefined count"
grep -qi nan "$S/a.csv" && bad "score wrote a NaN" || ok
expect 0 "score 2 threads" -- $NASW $SC --threads 2 --out "$S/b.csv"
[ "$(sort "$S/a.csv")" = "$(sort "$S/b.csv")" ] && ok || bad "score: --threads 1 and 2 differ"
expect 0 "score sample" -- $NASW $SC --sample 2 --out "$S/c.csv"
printf '|nor_conv_1x1~0|+|none' >>"$S/c.csv"   # a torn last line (killed mid-write)
expect 0 "score resume" -- $NASW $SC --out "$S/c.csv"
grep -q "(2 now, 2 resumed)" "$T/out" && ok || bad "score did not resume"
[ "$(sort "$S/a.csv")" = "$(sort "$S/c.csv")" ] && ok || bad "score: resumed output differs from one run"
expect 0 "score output is a table" -- $NASW tables info "$S/a.csv"
grep -q "val_acc" "$T/out" && ok || bad "score output: val_acc not carried"
# the shipped proxies (22 cells without jacov): a missing score ranks last, the rest as scored
expect 0 "predict on the shipped proxies" -- $NASW predict --table data/fmnist_proxy_zc.csv --predictors jacov \
    --train-sizes 10 --test-size 990 --trials 1 --dir "$S/pr"
awk -F, '$1 == "jacov" {exit !($6 >= 0.7)}' "$S/pr/summary.csv" && ok || bad "predict: jacov on fmnist_proxy_zc.csv below 0.7"
if [ -f "$DATA/nasbench201/nb201_zc_subset.csv" ]; then
    # parameters of the NB201 network as NASLib counts them (CIFAR shape, C=16, N=5)
    expect 0 "score nb201 params" -- $NASW score --table "$DATA/nasbench201/nb201_zc_subset.csv" --dataset cifar10 \
        --sample 8 --input 3x32x32 --channels 16 --cells 5 --proxies params --batch 2 --out "$S/nb.csv"
    awk -F, 'NR == FNR { if ($3 == "cifar10") p[$2] = $6; next }
             FNR > 1 { n++; if (sprintf("%.6f", $4 / 1e6) != sprintf("%.6f", p[$1])) bad++ }
             END { exit !(n == 8 && bad == 0) }' "$DATA/nasbench201/nb201_zc_subset.csv" "$S/nb.csv" \
        && ok || bad "score params differ from NASLib's params_m"
    # FLOPs: NASLib's flops_m = nasw's flops + 3 per output element of every
    # convolution op of the cells (430,080 at 32x32, C=16, N=5) + 136,246
    # (docs/nao-warmstart.md), exactly, on every cifar10 row checked
    expect 0 "score nb201 flops" -- $NASW score --table "$DATA/nasbench201/nb201_zc_subset.csv" --dataset cifar10 \
        --sample 8 --seed 3 --input 3x32x32 --channels 16 --cells 5 --proxies flops --batch 2 --out "$S/nbf.csv"
    awk -F, 'NR == FNR { if ($3 == "cifar10") f[$2] = $5; next }
             FNR > 1 { n++; a = $1; c = gsub(/nor_conv/, "", a)
                       if (sprintf("%.6f", ($4 + 430080 * c + 136246) / 1e6) != sprintf("%.6f", f[$1])) bad++ }
             END { exit !(n == 8 && bad == 0) }' "$DATA/nasbench201/nb201_zc_subset.csv" "$S/nbf.csv" \
        && ok || bad "score flops differ from NASLib's flops_m by other than the documented terms"
fi

# --- one CLI (docs/cli.md): --out names a file, --dir a directory; hints
expect 2 "compare --out" -- $NASW compare --table $FIX/mini.csv --out "$T/o"
expect_err "^hint: compare writes a directory; use --dir DIR$" "compare --out hint"
[ -e "$T/o" ] && bad "compare --out created '$T/o'" || ok
expect 2 "misspelt option" -- $NASW search --table $FIX/mini.csv --strategy random --budgte 5
expect_err "^hint: did you mean '--budget'?$" "misspelt option hint"
expect 2 "option far from any" -- $NASW search --table $FIX/mini.csv --strategy random --frobnicate 5
grep -q "^hint:" "$T/err" && bad "a hint for an option near no other" || ok

expect 2 "misspelt strategy" -- $NASW search --table $FIX/mini.csv --strategy evolutoin --budget 3
expect_err "^hint: did you mean 'evolution'?$" "misspelt strategy hint"
expect 2 "misspelt strategy in a list" -- $NASW compare --table $FIX/mini.csv --strategies random,lcoal --dir "$T/o"
expect_err "^hint: did you mean 'local'?$" "misspelt strategy hint (compare)"
expect 2 "misspelt strategy key" -- $NASW compare --table $FIX/mini.csv --strategies random,evolution:populaton=5 --dir "$T/o"
expect_err "^hint: did you mean 'evolution:population=...'?$" "misspelt strategy key hint"
expect 2 "strategy near no other" -- $NASW search --table $FIX/mini.csv --strategy frobnicate --budget 3
grep -q "^hint:" "$T/err" && bad "a hint for a strategy near no other" || ok
# one seed default (1) on every command: the help texts say so, and a
# default run is the --seed 1 run
for c in $($NASW help | awk '/^  [a-z]/ {print $1}') "tables build" "lcurve eval" "lcurve fit"; do
    $NASW $c -h 2>/dev/null | grep -E -- '^ +--(train-)?seed [A-Z]' | grep -Ev 'default 1\)|instead of --seed' | grep -q . \
        && bad "$c -h: a seed default other than 1" || ok
done
SA='|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|'
for s in "" "--seed 1" "--seed 0"; do
    $NASW score --arch "$SA" --input 1x8x8 --channels 2 --data random --batch 8 --proxies snip,nwot $s \
        --out "$T/seed$s.csv" >/dev/null 2>&1 || bad "score $s failed"
done
cmp -s "$T/seed.csv" "$T/seed--seed 1.csv" && ok || bad "score: the default seed is not 1"
cmp -s "$T/seed.csv" "$T/seed--seed 0.csv" && bad "score: seeds 0 and 1 give the same scores" || ok

# -q/-v on every command; -q keeps the data asked for on stdout
for c in $($NASW help | awk '/^  [a-z]/ && $1 != "help" && $1 != "version" && $1 != "lcurve" {print $1}') "tables build" "tables import" "lcurve eval" "lcurve fit"; do
    $NASW $c -h 2>/dev/null | grep -q -- "-q, --quiet" && $NASW $c -h | grep -q -- "-v, --verbose" && ok || bad "$c -h: no -q/-v"
done
expect 0 "search -q" -- $NASW search --table $FIX/mini.csv --dataset alpha --strategy random --budget 5 -q
[ -s "$T/out" ] || [ -s "$T/err" ] && bad "search -q printed something" || ok
expect 0 "search -q --out -" -- $NASW search --table $FIX/mini.csv --dataset alpha --strategy random --budget 5 -q --out -
[ "$(grep -c '^{"type":' "$T/out")" -eq 7 ] && [ ! -s "$T/err" ] && ok || bad "search -q --out -: not the run log alone"
expect 0 "search -q --trace" -- $NASW search --table $FIX/mini.csv --dataset alpha --strategy random --budget 5 -q --trace
[ "$(wc -l <"$T/out")" -eq 5 ] && ok || bad "search -q --trace: not the 5 trace rows alone"

# --jobs on score (OpenMP threads; --threads is the same flag): same scores for any J
printf 'arch,dataset,val_acc,test_acc\n%s,a,1,2\n%s,a,2,3\n%s,a,3,4\n' \
    '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|' \
    '|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|nor_conv_1x1~1|avg_pool_3x3~2|' \
    '|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|' >"$T/sj.csv"
SJ="score --table $T/sj.csv --input 1x8x8 --channels 2 --data random --batch 8 --proxies snip,synflow,nwot"
expect 0 "score --jobs 1" -- $NASW $SJ --jobs 1 --out "$T/sj1.csv"
expect 0 "score --jobs 3" -- $NASW $SJ --jobs 3 --out "$T/sj3.csv"
[ "$(sort "$T/sj1.csv")" = "$(sort "$T/sj3.csv")" ] && ok || bad "score: --jobs 1 and 3 differ"
expect 2 "score --jobs with --threads" -- $NASW $SJ --jobs 1 --threads 2 --out "$T/sj4.csv"

# --jobs on predict and lcurve eval: the same results for any J
PJ="predict --table $FIX/mini.csv --dataset alpha --predictors gp,cost_s,lstm:epochs=20:hidden=8:embed=8 --train-sizes 10,30 --test-size 30 --trials 4"
expect 0 "predict --jobs 1" -- $NASW $PJ --jobs 1 --dir "$T/pj1"
expect 0 "predict --jobs 3" -- $NASW $PJ --jobs 3 --dir "$T/pj3"
# all but the timing columns (fit_s, fit_cpu_s)
[ "$(cut -d, -f1-6,8 "$T/pj1/trials.csv")" = "$(cut -d, -f1-6,8 "$T/pj3/trials.csv")" ] && ok || bad "predict: --jobs 1 and 3 differ"
LJ="lcurve eval --curves $FIX/lc_acc.csv --fractions 0.25,0.5 --methods all --folds 4 --examples 0"
expect 0 "lcurve eval --jobs 1" -- $NASW $LJ --jobs 1 --dir "$T/lj1"
expect 0 "lcurve eval --jobs 3" -- $NASW $LJ --jobs 3 --dir "$T/lj3"
cmp -s "$T/lj1/predictions.csv" "$T/lj3/predictions.csv" && [ "$(cut -d, -f1-7 "$T/lj1/summary.csv")" = "$(cut -d, -f1-7 "$T/lj3/summary.csv")" ] \
    && ok || bad "lcurve eval: --jobs 1 and 3 differ"
expect 2 "predict: bad --jobs" -- $NASW $PJ --jobs 0 --dir "$T/pj0"

# progress: a bar on a terminal (or NASW_FORCE_TTY=1), none otherwise or
# under -q, lines under -v; never a result row through the bar
LE="lcurve eval --curves $FIX/lc_acc.csv --fractions 0.25,0.5 --methods last,pow3 --examples 0"
$NASW $LE --dir "$T/pg1" >"$T/out" 2>"$T/err"
grep -q "ETA" "$T/err" && bad "a progress bar when stderr is not a terminal" || ok
NASW_FORCE_TTY=1 $NASW $LE --dir "$T/pg2" >/dev/null 2>"$T/err"
grep -q "lcurve \[#*\.*\] *[0-9]*% .*ETA" "$T/err" && ok || bad "NASW_FORCE_TTY=1 drew no bar"
NASW_FORCE_TTY=1 $NASW $LE --dir "$T/pg3" -q >"$T/out" 2>"$T/err"
[ -s "$T/err" ] || [ -s "$T/out" ] && bad "-q printed: $(head -c 200 "$T/err" "$T/out")" || ok
[ "$(cut -d, -f1-7 "$T/pg1/summary.csv")" = "$(cut -d, -f1-7 "$T/pg3/summary.csv")" ] && ok || bad "-q changed the results"
$NASW $LE --dir "$T/pg4" -v >/dev/null 2>"$T/err"
[ "$(grep -c '^lcurve: *[0-9]*% ([0-9]*/[0-9]*) .*ETA' "$T/err")" -eq 10 ] && ok || bad "-v: not 10 progress lines: $(head -3 "$T/err")"
if command -v script >/dev/null 2>&1; then
    script -qec "$NASW $LE --dir '$T/pg5'" /dev/null >"$T/pty" 2>&1
    grep -q "ETA" "$T/pty" && ok || bad "no bar on a pty"
    # what the terminal shows: each line from its last carriage return on
    sed 's/\r$//; s/.*\r//; s/\x1b\[K//g' "$T/pty" >"$T/screen"
    [ "$(grep -c '^  \(last\|pow3\) ' "$T/screen")" -eq 4 ] && ! grep -q "ETA" "$T/screen" && ok \
        || bad "lcurve eval printed result rows through its bar: $(grep -m1 ETA "$T/screen")"
else
    echo "skip: no script(1) for the pty test (bsdutils)"
fi

# compare --resume after kill -9: finished runs are not redone and the
# outputs are the bytes of an uninterrupted run; --config replays a manifest
CC="compare --table $FIX/mini.csv --strategies random,bo,evolution --budget 40 --no-plot --jobs 1"
expect 0 "compare, uninterrupted" -- $NASW $CC --seeds 40 -q --dir "$T/ra"
[ -e "$T/ra/runs.jsonl" ] && bad "a finished comparison kept its run journal" || ok
$NASW $CC --seeds 40 --dir "$T/rb" >/dev/null 2>&1 &
RP=$!
w=0
while [ "$(cat "$T/rb/runs.jsonl" 2>/dev/null | wc -l)" -lt 20 ] && [ $w -lt 600 ]; do sleep 0.05; w=$((w + 1)); done
kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null
nrun=$(wc -l <"$T/rb/runs.jsonl")
[ "$nrun" -ge 20 ] && [ "$nrun" -lt 240 ] && ok || bad "compare was not killed mid-way ($nrun runs journaled)"
printf '{"dataset":"alpha","strategy":"bo","se' >>"$T/rb/runs.jsonl"   # a torn last line
expect 0 "compare --resume" -- $NASW $CC --seeds 40 --dir "$T/rb" --resume -v
expect_err "compare: resuming '$T/rb': $nrun of 240 runs done" "resume counts the journaled runs"
grep -q "^compare: *[0-9]*% ([0-9]*/240)" "$T/err" && ok || bad "resume: no progress"
for f in summary.csv pairs.csv trajectories.csv best.csv datasets.csv; do
    cmp -s "$T/ra/$f" "$T/rb/$f" && ok || bad "resumed $f differs from the uninterrupted one"
done
expect 1 "resume a finished comparison" -- $NASW $CC --seeds 40 --dir "$T/rb" --resume
expect_err "nothing to resume" "resume of a done comparison"
$NASW $CC --dir "$T/rc" --seeds 2 >/dev/null 2>&1
sed -i 's/"status": "done"/"status": "failed"/' "$T/rc/manifest.json"
expect 1 "resume with other settings" -- $NASW $CC --dir "$T/rc" --seeds 3 --resume
expect_err "it was started with other settings" "resume with other settings"
expect 0 "compare --config" -- $NASW compare --config "$T/ra/manifest.json" --dir "$T/rd" --jobs 2
for f in summary.csv pairs.csv trajectories.csv best.csv datasets.csv; do
    cmp -s "$T/ra/$f" "$T/rd/$f" && ok || bad "--config replay: $f differs"
done
expect 0 "compare --config, a flag changed" -- $NASW compare --config "$T/ra/manifest.json" --dir "$T/re" --seeds 2
[ "$(grep -c . "$T/re/best.csv")" -eq 13 ] && ok || bad "--config --seeds 2: not 2 seeds x 3 strategies x 2 datasets"

# per-epoch progress of train and confirm (Fashion-MNIST needed)
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    PA='|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
    PT="train --arch $PA --preset micro --epochs 3 --train-size 640"
    NASW_FORCE_TTY=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NASW $PT >/dev/null 2>"$T/err"
    grep -q "train \[#*\.*\]  33% .*ETA" "$T/err" && ok || bad "train: no per-epoch bar"
    if command -v script >/dev/null 2>&1; then
        script -qec "env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NASW $(printf '%s' "$PT" | sed "s/--arch \([^ ]*\)/--arch '\1'/")" /dev/null >"$T/pty" 2>&1
        sed 's/\r$//; s/.*\r//; s/\x1b\[K//g' "$T/pty" >"$T/screen"
        [ "$(grep -c '^epoch   [123]  train loss' "$T/screen")" -eq 3 ] && grep -q ETA "$T/pty" && ! grep -q ETA "$T/screen" \
            && ok || bad "train: epoch lines through the bar: $(grep -m1 ETA "$T/screen")"
    fi
    PM="live:fmnist:micro:nodes=3:ops=none+nor_conv_3x3"
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NASW search --bench $PM --journal "$T/pj.csv" --strategy random --budget 3 \
        --out "$T/prun.jsonl" >/dev/null 2>&1 || bad "live search for confirm failed"
    NASW_FORCE_TTY=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NASW confirm "$T/prun.jsonl" --top 2 --bench $PM \
        --journal "$T/pj2.csv" --dir "$T/pconf" >/dev/null 2>"$T/err"
    # 2 architectures x 2 epochs: a quarter after the first epoch
    grep -q "confirm \[#*\.*\]  25% " "$T/err" && ok || bad "confirm: no per-epoch progress"
fi

echo "cli tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
