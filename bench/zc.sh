#!/bin/sh
# bench/zc.sh - the figures of docs/zero-cost.md: nasw's zero-cost proxies
# against real runs, against NASLib's scores, and their speed against a
# PyTorch peer.  Every step resumes (`nasw score` journals its output).
#
#   1. the proxies of the 1,000 cells of data/fmnist_proxy.csv
#      (data/fmnist_proxy_zc.csv, shipped) and their Spearman / Kendall
#      against val_acc and test_acc with bootstrap intervals;
#   2. nasw on NASLib's cells (nb201_zc_subset.csv, cifar10 rows; CIFAR
#      shape 3x32x32, C=16, N=5; Gaussian images: no CIFAR-10 here) and the
#      rank agreement with NASLib's columns;
#   3. CPU seconds per architecture of each proxy, nasw and PyTorch
#      (bench/zc_torch_peer.py), one thread each, on the same cells.
#
# usage: bench/zc.sh [OUT_DIR]   (default bench-out/zc; NASW_DATA for the data;
#        STEPS=13 runs steps 1 and 3 only; NL_SAMPLE cells in step 2, SPEED_N in 3)
set -eu
NASW=${NASW:-./nasw}
DATA=${NASW_DATA:-../shared/data}
OUT=${1:-bench-out/zc}
NL_SAMPLE=${NL_SAMPLE:-200}
SPEED_N=${SPEED_N:-20}
PY=${PYTHON:-/usr/bin/python3}   # Debian's, where scripts/deps.sh --bench installs the peers
STEPS=${STEPS:-123}
mkdir -p "$OUT"
step() { case $STEPS in *$1*) return 0 ;; *) return 1 ;; esac; }

if step 1; then
echo "== 1. proxies of data/fmnist_proxy.csv vs its real runs"
$NASW score --table data/fmnist_proxy.csv --seed 0 --out data/fmnist_proxy_zc.csv
$PY bench/zc_validate.py fmnist data/fmnist_proxy.csv data/fmnist_proxy_zc.csv | tee "$OUT/fmnist.md"
fi

SUB=$DATA/nasbench201/nb201_zc_subset.csv
if ! step 2; then :
elif [ -f "$SUB" ]; then
    echo "== 2. nasw vs NASLib on $NL_SAMPLE cells of $SUB"
    $NASW score --table "$SUB" --dataset cifar10 --seed 0 --sample "$NL_SAMPLE" --input 3x32x32 --channels 16 --cells 5 \
        --data random --batch 32 --out "$OUT/naslib.csv"
    $PY bench/zc_validate.py naslib "$SUB" "$OUT/naslib.csv" | tee "$OUT/naslib.md"
else
    echo "skip: $SUB not found (set NASW_DATA)"
fi

step 3 || exit 0
echo "== 3. CPU seconds per architecture, $SPEED_N cells, proxy preset network (C=8 N=1 12x12), batch 64, 1 thread"
awk -F, -v n="$SPEED_N" 'NR > 1 && NR <= n + 1 {print $1}' data/fmnist_proxy.csv >"$OUT/speed_archs.txt"
{ echo "arch,dataset,val_acc"; sed 's/$/,fmnist,0/' "$OUT/speed_archs.txt"; } >"$OUT/speed_table.csv"
cpu() { # CPU seconds of a nasw score run over the speed cells
    rm -f "$OUT/speed_out.csv"
    OMP_NUM_THREADS=1 /usr/bin/time -f "%U %S" $NASW score --table "$OUT/speed_table.csv" --data random --batch 64 \
        --threads 1 --proxies "$1" --out "$OUT/speed_out.csv" 2>&1 >/dev/null | tail -n 1 | awk '{print $1 + $2}'
}
base=$(cpu params)   # start-up, network builds, the cheapest proxy
: >"$OUT/speed_nasw.txt"
for p in params flops synflow snip grasp fisher grad_norm jacov nwot zen epe_nas l2_norm plain all; do
    s=$(cpu $p)
    # params alone costs the start-up (and builds); the others are net of it
    if [ $p = params ]; then echo "$p 0" >>"$OUT/speed_nasw.txt"
    else awk -v s="$s" -v b="$base" -v n="$SPEED_N" -v p=$p 'BEGIN {printf "%s %.6f\n", p, (s - b) / n}' >>"$OUT/speed_nasw.txt"; fi
done
if $PY -c "import torch" 2>/dev/null; then
    OMP_NUM_THREADS=1 $PY bench/zc_torch_peer.py "$OUT/speed_archs.txt" 8 1 12 64 1 >"$OUT/speed_torch.txt"
    echo "| proxy | nasw CPU s/arch | PyTorch CPU s/arch | speed-up |" | tee "$OUT/speed.md"
    echo "|---|---|---|---|" | tee -a "$OUT/speed.md"
    awk 'NR == FNR {t[$1] = $2; next} ($1 in t) {printf "| %s | %.4f | %.4f | %s |\n", $1, $2, t[$1],
        ($2 > 0 ? sprintf("%.1fx", t[$1] / $2) : "-")}' "$OUT/speed_torch.txt" "$OUT/speed_nasw.txt" | tee -a "$OUT/speed.md"
else
    echo "skip: PyTorch not importable (scripts/deps.sh --bench)"; cat "$OUT/speed_nasw.txt"
fi
