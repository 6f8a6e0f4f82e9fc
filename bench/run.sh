#!/bin/sh
# bench/run.sh - `make bench`: the figures of the README, measured side by side.
#
# usage: bench/run.sh [SECTION ...]   (default: all, in this order)
#
# agreement  nasw compare on NAS-Bench-201 (100 seeds, 150 queries) next to
#            the independent Python implementation bench/ref_protocol.py on
#            the same data, and the reference figures quoted by the issue.
# speed      wall time of nasw compare for random, evolution, local and
#            reinforce x 3 datasets x 100 seeds x 300 queries (table load
#            included, no plots), median of 5 runs, next to the Python
#            reference's wall time for random + evolution.
# trainer    training throughput (forward + backward + SGD) of nasw and of
#            PyTorch (bench/torch_peer.py) on the same network, 2 threads,
#            and the OpenBLAS sgemm peak (bench/sgemm_peak.c).
# accuracy   the same network trained by nasw and by PyTorch
#            (bench/torch_accuracy.py) with one recipe on the same images:
#            C=16 N=1 28x28, 4 epochs on 10k training images (nasw's split,
#            bench/fmnist_split.c), batch 128; final validation/test accuracy.
# proxy      the first 20 architectures of the shipped table's sample trained
#            again with training seed 1; Spearman between the seeds, and of
#            accuracy with params/FLOPs over the table (bench/proxy_corr.py).
#            Resumes: the retrained table is a journal in $OUT/proxy.
set -eu
DATA=${NASW_DATA:-../shared/data}
NB=$DATA/nasbench201/nb201_final.csv
OUT=${BENCH_OUT:-bench/out}
PROXY_TABLE=${PROXY_TABLE:-data/fmnist_proxy.csv}
ARCH='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
FMNIST=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
mkdir -p "$OUT"
# need FILE HINT: false (and a note) if FILE is missing
need() {
    [ -f "$1" ] && return 0
    echo "bench: $1 not found ($2); section skipped"
    return 1
}
have_torch() {
    /usr/bin/python3 -c 'import torch' 2>/dev/null && return 0
    echo "PyTorch peer skipped: Debian's python3-torch is not installed (apt-get install python3-torch)"
    return 1
}

now() { date +%s.%N; }
# median of N wall times of a command (seconds)
median_time() {
    n=$1; shift
    for i in $(seq "$n"); do
        t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
        echo "$t1 - $t0" | bc -l
    done | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'
}

agreement() {
    need "$NB" "set NASW_DATA" || return 0
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

}

speed() {
    need "$NB" "set NASW_DATA" || return 0
    echo "== speed: 4 strategies x 3 datasets x 100 seeds x 300 queries, table load included"
    tn=$(median_time 5 ./nasw compare --table "$NB" --strategies random,evolution,local,reinforce \
        --seeds 100 --budget 300 --no-plot --quiet --out "$OUT/speed")
    tp=$(median_time 1 python3 bench/ref_protocol.py "$NB" 100 300)
    echo "nasw compare (4 strategies, $(nproc) cores):        ${tn} s  (median of 5)"
    echo "python reference (random+evolution only, 1 core): ${tp} s"
    echo "ratio python/nasw: $(echo "$tp / $tn" | bc -l | xargs printf '%.1f')x (nasw doing twice the strategies)"

}

trainer() {
    echo "== trainer throughput: C=16 N=1, 28x28, batch 128, 2 threads, 50 steps after warm-up"
    cc -O2 -o "$OUT/sgemm_peak" bench/sgemm_peak.c -lopenblas
    OPENBLAS_NUM_THREADS=2 "$OUT/sgemm_peak" 2048 | tee "$OUT/sgemm_peak.txt"
    OMP_NUM_THREADS=2 ./nasw train --arch "$ARCH" --channels 16 --cells 1 --batch-size 128 --benchmark 50 | tee "$OUT/nasw_train.txt"
    awk '/sgemm peak:/ {p = $3} /^compute:/ {c = $2} END {
        printf "nasw: %.0f%% of the two-thread sgemm peak\n", 100 * c / p }' "$OUT/sgemm_peak.txt" "$OUT/nasw_train.txt"
    if have_torch; then
        OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_peer.py "$ARCH" 16 1 128 50 2 | tee "$OUT/torch_train.txt"
        awk '/throughput:/ {v[FILENAME] = $2} END {
            for (f in v) if (f ~ /nasw/) n = v[f]; else p = v[f]
            printf "ratio nasw/pytorch: %.2fx\n", n / p }' "$OUT/nasw_train.txt" "$OUT/torch_train.txt"
    fi
}

accuracy() {
    echo "== accuracy: C=16 N=1 28x28, SGD Nesterov 0.9, cosine from 0.1, wd 5e-4, 4 epochs on 10k images, batch 128"
    need "$FMNIST" "install dataset-fashion-mnist" || return 0
    mkdir -p "$OUT/accuracy"
    make -s build/libnasw.a
    cc -O2 -std=c11 -I. -D_POSIX_C_SOURCE=200809L -o "$OUT/fmnist_split" bench/fmnist_split.c build/libnasw.a -lgsl -lm
    "$OUT/fmnist_split" 0 >"$OUT/accuracy/split.txt"
    OMP_NUM_THREADS=2 ./nasw train --arch "$ARCH" --preset nb201 --channels 16 --cells 1 --epochs 4 \
        --train-size 10000 --batch-size 128 --out "$OUT/accuracy/nasw.json" | tee "$OUT/accuracy/nasw.txt"
    if have_torch; then
        OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_accuracy.py "$ARCH" 16 1 4 10000 10000 128 2 \
            "$OUT/accuracy/split.txt" | tee "$OUT/accuracy/torch.txt"
        printf "%-8s %8s %8s\n" "" val_acc test_acc
        awk '/^final/ {printf "nasw     %8s %8s\n", $3, $5}' "$OUT/accuracy/nasw.txt"
        awk '/^final/ {printf "pytorch  %8s %8s\n", $3, $5}' "$OUT/accuracy/torch.txt"
    fi
}

proxy() {
    echo "== proxy reproducibility: 20 architectures of the sample of $PROXY_TABLE, training seed 1"
    need "$FMNIST" "install dataset-fashion-mnist" || return 0
    need "$PROXY_TABLE" "set PROXY_TABLE" || return 0
    mkdir -p "$OUT/proxy"
    ./nasw tables build --space nb201 --sample 20 --preset proxy --seed 0 --train-seed 1 --out "$OUT/proxy/seed1.csv"
    python3 bench/proxy_corr.py "$PROXY_TABLE" "$OUT/proxy/seed1.csv"
}

[ $# -gt 0 ] || set -- agreement speed trainer accuracy proxy
for section in "$@"; do
    case $section in
    agreement | speed | trainer | accuracy | proxy) "$section"; echo ;;
    *) echo "usage: bench/run.sh [agreement|speed|trainer|accuracy|proxy ...]" >&2; exit 2 ;;
    esac
done
