#!/bin/sh
# bench/run.sh - `make bench`: the figures of the README, measured side by side.
#
# 1. agreement: nasw compare on NAS-Bench-201 (100 seeds, 150 queries) next to
#    the independent Python implementation bench/ref_protocol.py on the same
#    data, and the reference figures quoted by the issue.
# 2. speed: wall time of nasw compare for random, evolution, local and
#    reinforce x 3 datasets x 100 seeds x 300 queries (table load included,
#    no plots), median of 5 runs, next to the Python reference's wall time for
#    random + evolution x 3 datasets x 100 seeds x 300 queries.
# 3. trainer throughput against the PyTorch peer.
# 4. the LSTM surrogate (PNAS) against the PyTorch peer bench/lstm_peer.py:
#    same split and tokens (written by bench/lstm_bench.c), same sizes and
#    epochs; fit seconds and Kendall tau on 200 test architectures.
set -eu
DATA=${NASW_DATA:-../shared/data}
NB=$DATA/nasbench201/nb201_final.csv
OUT=${BENCH_OUT:-bench/out}
if [ ! -f "$NB" ]; then
    echo "bench: $NB not found (set NASW_DATA); nothing to measure"
    exit 0
fi
mkdir -p "$OUT"

now() { date +%s.%N; }
# median of N wall times of a command (seconds)
median_time() {
    n=$1; shift
    for i in $(seq "$n"); do
        t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
        echo "$t1 - $t0" | bc -l
    done | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'
}

echo "== agreement: NB201, 100 seeds, 150 queries (test accuracy of the best-by-validation arch)"
./nasw compare --table "$NB" --strategies random,evolution:population=50:sample=10,local,reinforce \
    --seeds 100 --budget 150 --no-plot --quiet --out "$OUT/agree"
python3 bench/ref_protocol.py "$NB" 100 150 >"$OUT/agree/ref.csv"
awk -F, '
    FNR == 1 { next }
    FILENAME ~ /ref.csv$/ { ref[$1 "," $2] = $3; refci[$1 "," $2] = $4; next }
    { s = $2; sub(/:.*/, "", s); nasw[$1 "," s] = $5; ci[$1 "," s] = $7; }
    END {
        issue["cifar10,random"] = 93.83; issue["cifar100,random"] = 71.84; issue["ImageNet16-120,random"] = 45.76
        issue["cifar10,evolution"] = 94.13; issue["cifar100,evolution"] = 73.14; issue["ImageNet16-120,evolution"] = 46.36
        printf "%-16s %-10s %16s %16s %8s\n", "dataset", "strategy", "nasw (+-ci95)", "python ref", "issue"
        n = split("cifar10 cifar100 ImageNet16-120", D, " "); m = split("random evolution local reinforce", S, " ")
        for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) {
            k = D[i] "," S[j]
            printf "%-16s %-10s %9.2f +-%4.2f %9s %6s %8s\n", D[i], S[j], nasw[k], ci[k],
                (k in ref) ? sprintf("%.2f", ref[k]) : "-", (k in ref) ? sprintf("+-%.2f", refci[k]) : "",
                (k in issue) ? sprintf("%.2f", issue[k]) : "-"
        }
    }' "$OUT/agree/ref.csv" "$OUT/agree/summary.csv"

echo
echo "== speed: 4 strategies x 3 datasets x 100 seeds x 300 queries, table load included"
tn=$(median_time 5 ./nasw compare --table "$NB" --strategies random,evolution,local,reinforce \
    --seeds 100 --budget 300 --no-plot --quiet --out "$OUT/speed")
tp=$(median_time 1 python3 bench/ref_protocol.py "$NB" 100 300)
echo "nasw compare (4 strategies, $(nproc) cores):        ${tn} s  (median of 5)"
echo "python reference (random+evolution only, 1 core): ${tp} s"
echo "ratio python/nasw: $(echo "$tp / $tn" | bc -l | xargs printf '%.1f')x (nasw doing twice the strategies)"

echo
echo "== trainer throughput: C=16 N=1, 28x28, batch 128, 2 threads, 50 steps after warm-up"
ARCH='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
cc -O2 -o "$OUT/sgemm_peak" bench/sgemm_peak.c -lopenblas
OPENBLAS_NUM_THREADS=2 "$OUT/sgemm_peak" 2048
OMP_NUM_THREADS=2 ./nasw train --arch "$ARCH" --channels 16 --cells 1 --batch-size 128 --benchmark 50 | tee "$OUT/nasw_train.txt"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    /usr/bin/python3 bench/torch_peer.py "$ARCH" 16 1 128 50 2 | tee "$OUT/torch_train.txt"
    awk '/throughput:/ {v[FILENAME] = $2} END {
        for (f in v) if (f ~ /nasw/) n = v[f]; else p = v[f]
        printf "ratio nasw/pytorch: %.2fx\n", n / p }' "$OUT/nasw_train.txt" "$OUT/torch_train.txt"
else
    echo "PyTorch peer skipped: Debian's python3-torch is not installed (apt-get install python3-torch)"
fi

echo
echo "== LSTM surrogate: NB201 cifar10 val_acc, 1000 train / 200 test, embed 100, hidden 100, Adam 1e-3, batch 32, 100 epochs"
cc -std=c11 -O2 -I. -D_POSIX_C_SOURCE=200809L -o "$OUT/lstm_bench" bench/lstm_bench.c build/libnasw.a \
    -lgsl -llapacke -lopenblas -lcsv -ljansson -lz -fopenmp -lpthread -lm
OPENBLAS_NUM_THREADS=1 "$OUT/lstm_bench" "$NB" cifar10 1000 200 1 "$OUT/lstm_split.csv" | tee "$OUT/lstm_nasw.txt"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    # the peer at its best: 2 intra-op threads, no OpenBLAS oversubscription,
    # glibc malloc that keeps its memory instead of mmap/munmap per tensor
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2 \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824 \
        /usr/bin/python3 bench/lstm_peer.py "$OUT/lstm_split.csv" 2 | tee "$OUT/lstm_torch.txt"
    awk '/fit_s/ {for (i = 1; i < NF; i++) if ($i == "fit_s") v[FILENAME] = $(i + 1)} END {
        for (f in v) if (f ~ /nasw/) n = v[f]; else p = v[f]
        printf "ratio pytorch/nasw fit time: %.1fx\n", p / n }' "$OUT/lstm_nasw.txt" "$OUT/lstm_torch.txt"
else
    echo "PyTorch peer skipped: Debian's python3-torch is not installed"
fi
