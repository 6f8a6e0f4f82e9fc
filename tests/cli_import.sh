#!/bin/sh
# tests/cli_import.sh - `nasw tables import` (native benchmark formats) and
# `nasw tables query` by index and by epoch.  Fixtures are small excerpts in
# the native formats (tests/fixtures/import); the real files are converted
# and checked against the shared data's own CSV conversions when present.
set -u
NASW=${NASW:-./nasw}
DATA=${NASW_DATA:-../shared/data}
F=tests/fixtures/import
T=$(mktemp -d /tmp/nasw-import.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# has FILE LINE: FILE holds exactly that line
has() { grep -qxF -- "$2" "$1" && ok || { bad "$1 lacks: $2"; }; }

# NASLib zero-cost JSON: op tuples -> official strings, {score,time} -> score,
# -Infinity/Infinity -> -inf/inf, idx -> naslib_id
$NASW tables import --format naslib-zc $F/naslib_zc.json --out "$T/zc.csv" && ok || bad "import naslib-zc"
has "$T/zc.csv" "arch,dataset,naslib_id,flops,val_acc,params,nwot,jacov"
has "$T/zc.csv" "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|,cifar10,534,88.307392,86.06,0.615386,-inf,-32.3"
has "$T/zc.csv" "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,cifar100,8,1.5,1,0.07,inf,-1.5"
$NASW tables info "$T/zc.csv" >"$T/info" 2>&1 && ok || bad "imported NASLib table does not load"
grep -q "datasets  2: cifar10 (2) cifar100 (2)" "$T/info" && ok || bad "imported NASLib datasets"
# NASLib's NAS-Bench-101 specs: canonical graphs, isomorphic specs merged
# (the second and third differ only in the order of two parallel vertices)
$NASW tables import --format naslib-zc $F/naslib_nb101.json --out "$T/nb101.csv" 2>"$T/err" && ok || bad "import NB101 specs"
grep -qx "warning: 1 of 3 records are NAS-Bench-101 specs isomorphic to earlier ones (the first of each is kept)" "$T/err" && ok || bad "NB101 isomorphism warning"
has "$T/nb101.csv" '"0110.0001.0001.0000:input,conv1x1-bn-relu,conv3x3-bn-relu,output",cifar10,50.25,1.5,91'
$NASW tables info "$T/nb101.csv" 2>&1 | grep -q "^space     graph: NAS-Bench-101 cells" && ok || bad "NB101 table is not a graph space"
$NASW search --table "$T/nb101.csv" --strategy evolution --budget 5 --seed 1 >/dev/null 2>&1 && ok || bad "search on a graph table"
# NASLib's NAS-Bench-301 compact genotypes: canonical DARTS genotypes, those
# equal up to a node's edge order merged (the last record repeats the first)
$NASW tables import --format naslib-zc $F/naslib_nb301.json --out "$T/nb301.csv" 2>"$T/err" && ok || bad "import NB301 genotypes"
grep -qx "warning: 1 of 31 records are NAS-Bench-301 genotypes equal to earlier ones up to the order of a node's two edges (the first of each is kept)" "$T/err" && ok || bad "NB301 edge-order warning"
cmp -s "$T/nb301.csv" tests/fixtures/tables/darts.csv && ok || bad "NB301 import differs from tests/fixtures/tables/darts.csv"
$NASW search --table "$T/nb301.csv" --strategy evolution --budget 5 --seed 1 >/dev/null 2>&1 && ok || bad "search on a DARTS table"
# NATS-Bench CSV: one row per (architecture, dataset); arch_index = row
$NASW tables import --format nats-csv $F/nats.csv --out "$T/nats.csv" && ok || bad "import nats-csv"
has "$T/nats.csv" "arch,dataset,arch_index,test_acc,unique_str"
[ "$(grep -c ',ImageNet16-120,' "$T/nats.csv")" -eq 3 ] && ok || bad "nats: ImageNet16-120 rows"
# query by index (query_by_index) and by string agree
$NASW tables query "$T/nats.csv" 1 --dataset cifar100 >"$T/q1" && ok || bad "query by index"
$NASW tables query "$T/nats.csv" '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|' --dataset cifar100 >"$T/q2"
cmp -s "$T/q1" "$T/q2" && ok || bad "query by index differs from query by string"
grep -q "test_acc         70.29333327" "$T/q1" && ok || bad "query by index value"
$NASW tables query "$T/nats.csv" 7 >/dev/null 2>"$T/err"; [ $? -eq 1 ] && ok || bad "missing index exit code"
grep -qx "error: no architecture with arch_index 7 in table '$T/nats.csv'" "$T/err" && ok || bad "missing index message"
# NAS-Bench-Macro JSON: canonical codes (identities after a stage's first layer last)
$NASW tables import --format macro-json $F/macro.json --out "$T/macro.csv" && ok || bad "import macro-json"
has "$T/macro.csv" "02001100,cifar10,02010100,0,89.47000122070312,88.94999694824219,89.16999816894531,89.19666544596355,0.21312667374448538,890666,47327744"
has "$T/macro.csv" "00000000,cifar10,00000000,1,45.31999969482422,45.32999801635742,45.439998626708984,45.36333211263021,0.054364862390541085,387882,7713280"
# TransNAS-Bench-101 micro: task as dataset, cells as NB201 strings (4 ops)
$NASW tables import --format csv --dataset-column task --arch-format tnb101-micro $F/tnb_micro.csv --out "$T/tnb.csv" && ok || bad "import csv (TransNAS)"
has "$T/tnb.csv" "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|nor_conv_3x3~0|skip_connect~1|nor_conv_1x1~2|,102312,jigsaw,80.5,-3.0,top1 (%)"
$NASW tables info "$T/tnb.csv" --metric val_metric >"$T/info" 2>&1 && ok || bad "imported TransNAS table does not load"
grep -q "4 ops (none, skip_connect, nor_conv_1x1, nor_conv_3x3)" "$T/info" && ok || bad "TransNAS space"
# --out - is stdout
$NASW tables import --format macro-json $F/macro.json --out - | cmp -s - "$T/macro.csv" && ok || bad "--out - differs from the file"

# the real files reproduce the shared data's converted CSVs row for row
if [ -f "$DATA/nasbench201/raw/zc_nasbench201.json" ]; then
    $NASW tables import --format naslib-zc "$DATA/nasbench201/raw/zc_nasbench201.json" --out "$T/zc201.csv" && ok || bad "import real NASLib NB201"
    for d in cifar10 cifar100 ImageNet16-120; do
        a='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
        want=$(awk -F, -v a="$a" -v d=$d '$2 == a && $3 == d {print $4}' "$DATA/nasbench201/nb201_zc_subset.csv")
        [ -z "$want" ] && continue
        got=$($NASW tables query "$T/zc201.csv" "$a" --dataset $d | awk '$1 == "val_acc" {print $2}')
        awk -v x="$want" -v y="$got" 'BEGIN {exit !(x - y < 1e-6 && y - x < 1e-6)}' && ok || bad "NASLib $d: val_acc $got, shared CSV $want"
    done
    [ "$(($(wc -l <"$T/zc201.csv") - 1))" -eq "$(($(wc -l <"$DATA/nasbench201/nb201_zc_subset.csv") - 1))" ] && ok || bad "NASLib NB201 row count"
    $NASW tables import --format nats-csv "$DATA/nasbench201/raw/nats_bench.csv" --out "$T/nats201.csv" && ok || bad "import real NATS CSV"
    $NASW tables query "$T/nats201.csv" 13714 --dataset cifar10 | grep -q "test_acc         94.37333333" && ok || bad "NATS index 13714"
    $NASW tables import --format macro-json "$DATA/nasbench_macro/raw/nas-bench-macro_cifar10.json" --out "$T/macro_real.csv" && ok || bad "import real Macro JSON"
    # same rows as the shared conversion (arch, canonical, is_canonical, params, flops)
    cut -d, -f1,3,4,10,11 "$T/macro_real.csv" | tail -n +2 | sort >"$T/m1"
    cut -d, -f1,2,3,9,10 "$DATA/nasbench_macro/nasbench_macro_cifar10.csv" | tail -n +2 | sort >"$T/m2"
    cmp -s "$T/m1" "$T/m2" && ok || bad "Macro conversion differs from the shared CSV"
    $NASW tables query "$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv" 5 --epochs 12 >"$T/ep" && ok || bad "query --epochs"
    grep -q "val_acc          61.40933333" "$T/ep" && ok || bad "epoch 12 value of arch 5"
else
    echo "skip: real-file import checks (no data in $DATA)"
fi
echo "import tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
