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
# 3. trainer throughput against PyTorch.
# 4. lcurve (also alone: `bench/run.sh lcurve`): learning-curve extrapolation
#    on NB201's 200 curves, epoch 200 predicted from 10% and 20% of the epochs,
#    every nasw method next to SciPy's curve_fit of the same families
#    (bench/lcurve_peer.py), and the CPU time of one single-start fit.
# 5. mf (also alone: `bench/run.sh mf`): multi-fidelity strategies against
#    random search and evolution at equal epoch budgets (anytime curves),
#    on the NB201 200-curve table and on a copy of data/fmnist_proxy.csv.
set -eu
DATA=${NASW_DATA:-../shared/data}
NB=$DATA/nasbench201/nb201_final.csv
OUT=${BENCH_OUT:-bench/out}
if [ ! -f "$NB" ]; then
    echo "bench: $NB not found (set NASW_DATA); nothing to measure"
    exit 0
fi
mkdir -p "$OUT"

lcurve_bench() {
    LC=$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv
    FAMS=vapor,ilog2,weibull,pow3,pow4,loglog,mmf,janoschek,hill3,logpower,exp4
    echo "== lcurve: NB201 cifar10-valid, 200 curves, predict epoch 200 from 10% and 20% of the epochs"
    OPENBLAS_NUM_THREADS=1 ./nasw lcurve eval --curves "$LC" --fractions 0.1,0.2 --methods all --out "$OUT/lcurve"
    OPENBLAS_NUM_THREADS=1 ./nasw lcurve eval --curves "$LC" --fractions 0.1,0.2 --methods $FAMS --starts 1 \
        --examples 0 --out "$OUT/lcurve_1start" >/dev/null
    if ! /usr/bin/python3 -c 'import scipy' 2>/dev/null; then
        echo "SciPy peer skipped: Debian's python3-scipy is not installed"
        return 0
    fi
    /usr/bin/python3 bench/lcurve_peer.py "$LC" 0.1,0.2 "$OUT/lcurve/scipy.csv" >/dev/null
    echo
    echo "nasw (4 constrained starts per family) vs scipy curve_fit (1 start, unconstrained); fit_ms = CPU ms per curve"
    awk -F, '
        FNR == 1 { next }
        FILENAME ~ /scipy.csv$/ { k = $1 "," $2; ssp[k] = $4; smae[k] = $6; sms[k] = $8; seen[k] = 1; next }
        FILENAME ~ /1start/ { one[$1 "," $2] = $8; next }
        { k = $1 "," $2; key[++n] = k; sp[k] = $4; mae[k] = $6; cov[k] = $7; ms[k] = $8 }
        END {
            printf "%-10s %5s | %8s %7s %6s %8s | %8s %7s | %9s %9s %6s\n", "method", "frac", "spearman", "mae",
                "cov90", "fit_ms", "scipy_sp", "s_mae", "1start_ms", "scipy_ms", "speed"
            for (i = 1; i <= n; i++) {
                k = key[i]; split(k, a, ",")
                printf "%-10s %5s | %8.4f %7.3f %6s %8.3f | %8s %7s | %9s %9s %6s\n", a[1], a[2], sp[k], mae[k],
                    cov[k] == "" ? "-" : sprintf("%.3f", cov[k]), ms[k],
                    seen[k] ? sprintf("%.4f", ssp[k]) : "-", seen[k] ? sprintf("%.3f", smae[k]) : "-",
                    (k in one) ? sprintf("%.4f", one[k]) : "-", seen[k] && a[1] != "last" ? sprintf("%.3f", sms[k]) : "-",
                    ((k in one) && one[k] > 0 ? sprintf("%.0fx", sms[k] / one[k]) : "-")
            }
        }' "$OUT/lcurve/scipy.csv" "$OUT/lcurve_1start/summary.csv" "$OUT/lcurve/summary.csv"
}
if [ "${1:-all}" = lcurve ]; then
    lcurve_bench
    exit 0
fi

now() { date +%s.%N; }
# median of N wall times of a command (seconds)
median_time() {
    n=$1; shift
    for i in $(seq "$n"); do
        t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
        echo "$t1 - $t0" | bc -l
    done | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'
}

# --- multi-fidelity: sh, hyperband, bohb, et+evolution vs random, evolution
# Two comparisons per table: the table-lookup strategies at the full budget,
# and early termination (an MCMC extrapolation, ~15 ms, per check) at a
# smaller one; random search and evolution run in both (identical runs), so
# every strategy meets them at equal epoch budgets.
mf() {
    LC=$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv
    S=random,evolution,sh,hyperband,bohb
    E=random,evolution,et:base=evolution
    if [ -f "$LC" ]; then
        echo "== multi-fidelity: NB201 200 curves x 200 epochs, 100 seeds, budget 10000 epochs"
        t0=$(now)
        ./nasw compare --table "$LC" --strategies $S --seeds 100 --budget 10000e \
            --checkpoints 1000e,2000e,4000e --out "$OUT/mf_nb201" | tail -n +2
        echo "wall: $(echo "$(now) - $t0" | bc -l | xargs printf '%.1f') s"
        echo "== early termination: NB201, 100 seeds, budget 4000 epochs"
        t0=$(now)
        ./nasw compare --table "$LC" --strategies $E --seeds 100 --budget 4000e \
            --checkpoints 1000e,2000e --out "$OUT/mf_nb201_et" | tail -n +2
        echo "wall: $(echo "$(now) - $t0" | bc -l | xargs printf '%.1f') s"
    else
        echo "mf: $LC not found; NB201 part skipped"
    fi
    # the shipped table grows while it is built: copy it, and keep only the
    # curves of finished architectures (the build appends a curve per epoch)
    SRC=${FMNIST_TABLE:-data/fmnist_proxy.csv}
    if [ -f "$SRC" ]; then
        mkdir -p "$OUT/mf_fp_table"
        FP=$OUT/mf_fp_table/fmnist_proxy.csv
        cp "$SRC" "$FP.part"
        awk -F, 'NR == FNR { if (FNR > 1) done[$1] = 1; next } FNR == 1 || ($1 in done)' \
            "$FP.part" "${SRC%.csv}_curves.csv" >"${FP%.csv}_curves.csv"
        mv "$FP.part" "$FP"
        cp "$SRC.meta.json" "$FP.meta.json"
        n=$(($(wc -l <"$FP") - 1))
        echo
        echo "== multi-fidelity: fmnist_proxy ($n architectures x 4 epochs), 100 seeds, budget 200 epochs"
        ./nasw compare --table "$FP" --strategies $S,et:base=evolution --seeds 100 --budget 200e \
            --checkpoints 40e,100e --out "$OUT/mf_fp" | tail -n +2
    fi
}
if [ "${1:-}" = mf ]; then
    mf
    exit 0
fi

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
lcurve_bench

echo
mf
