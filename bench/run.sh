#!/bin/sh
# bench/run.sh - `make bench`: the figures of bench/README.md, measured side by side.
#
# 1. agreement: nasw compare on NAS-Bench-201 (100 seeds, 150 queries) next to
#    the independent Python implementation bench/ref_protocol.py on the same
#    data, and the reference figures quoted by the issue.
# 2. speed: wall time of nasw compare for random, evolution, local and
#    reinforce x 3 datasets x 100 seeds x 300 queries (table load included,
#    no plots), median of 5 runs, next to the Python reference's wall time for
#    random + evolution x 3 datasets x 100 seeds x 300 queries.
# 3. train: training throughput (forward + backward + SGD) of nasw and of
#    PyTorch (bench/torch_peer.py) on the same network, 2 threads, and the
#    OpenBLAS sgemm peak (bench/sgemm_peak.c).
#    accuracy: the same network trained by nasw and by PyTorch
#    (bench/torch_accuracy.py) with one recipe on the same images: C=16 N=1
#    28x28, 4 epochs on 10k training images (nasw's split, bench/fmnist_split.c),
#    batch 128; final validation/test accuracy.
#    proxy: the first 20 architectures of the shipped table's sample trained
#    again with training seed 1; Spearman between the seeds, and of accuracy
#    with params/FLOPs over the table (bench/proxy_corr.py).  Resumes: the
#    retrained table is a journal in $OUT/proxy.
# 4. lcurve: learning-curve extrapolation on NB201's 200 curves, epoch 200
#    predicted from 10% and 20% of the epochs, every nasw method next to
#    SciPy's curve_fit of the same families (bench/lcurve_peer.py), and the
#    CPU time of one single-start fit.
# 5. lstm: the LSTM surrogate (PNAS) against the PyTorch peer bench/lstm_peer.py:
#    same split and tokens (written by bench/lstm_bench.c), same sizes and
#    epochs; fit seconds and Kendall tau on 200 test architectures.
# 6. mf: multi-fidelity strategies against random search and evolution at
#    equal epoch budgets (anytime curves), on the NB201 200-curve table and on
#    a copy of data/fmnist_proxy.csv.
# 7. predict, gpspeed, search: predictors against scikit-learn, GP speed, the
#    model-based strategies against evolution and local search.
# 8. moo: multi-objective strategies on HW-NAS-Bench-201, accuracy against the
#    latency of five devices (bench/moo.sh; docs/multi-objective.md).
# 9. zoo: the predictor zoo (xgb, rf, mlp, gcn, ensembles) on the predict
#    protocol, and zero-cost combinations on data/fmnist_proxy_zc.csv
#    (docs/predictor-zoo.md).
# 10. supernet: DARTS' first-order supernet step (bench/supernet_bench.c)
#    against the PyTorch peer bench/supernet_peer.py, same supernet, shape,
#    batches and threads; images/s, CPU seconds and peak RSS, alternating
#    pairs (docs/weight-sharing.md).
#
# Sections run on their own with `bench/run.sh SECTION...` (default: all):
# agree speed train predict gpspeed search lcurve lstm mf accuracy proxy moo zoo supernet.
set -eu
SECTIONS=" ${*:-all} "
for s in $SECTIONS; do
    case $s in all|agree|speed|train|predict|gpspeed|search|lcurve|lstm|mf|accuracy|proxy|moo|rl|warmstart|nao|zoo|supernet) ;;
    *) echo "usage: bench/run.sh [all|agree|speed|train|predict|gpspeed|search|lcurve|lstm|mf|accuracy|proxy|moo|rl|warmstart|nao|zoo|supernet]..." >&2; exit 2 ;; esac
done
want() { case $SECTIONS in *" all "*|*" $1 "*) return 0 ;; esac; return 1; }
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

lcurve_bench() {
    LC=$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv
    FAMS=vapor,ilog2,weibull,pow3,pow4,loglog,mmf,janoschek,hill3,logpower,exp4
    echo "== lcurve: NB201 cifar10-valid, 200 curves, predict epoch 200 from 10% and 20% of the epochs"
    OPENBLAS_NUM_THREADS=1 ./nasw lcurve eval --curves "$LC" --fractions 0.1,0.2 --methods all --dir "$OUT/lcurve"
    OPENBLAS_NUM_THREADS=1 ./nasw lcurve eval --curves "$LC" --fractions 0.1,0.2 --methods $FAMS --starts 1 \
        --examples 0 --dir "$OUT/lcurve_1start" >/dev/null
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
# Two comparisons per table: the table-lookup strategies, and early
# termination (an MCMC extrapolation, ~15 ms, per check) apart because it is
# slow; random search and evolution run in both (identical runs), so every
# strategy meets them at equal epoch budgets.
mf() {
    LC=$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv
    S=random,evolution,sh,hyperband,bohb
    # et: the calibrated rule (cal=1, the default) and the paper's (cal=0)
    E=random,evolution,et:base=evolution:cal=0,et:base=evolution
    if [ -f "$LC" ]; then
        echo "== multi-fidelity: NB201 200 curves x 200 epochs, 100 seeds, budget 10000 epochs"
        t0=$(now)
        ./nasw compare --table "$LC" --strategies $S --seeds 100 --budget 10000e \
            --checkpoints 1000e,2000e,4000e --dir "$OUT/mf_nb201" | tail -n +2
        echo "wall: $(echo "$(now) - $t0" | bc -l | xargs printf '%.1f') s"
        # the calibrated rule stops nothing before 19 trainings have run to the
        # end (3800 epochs): the full 10000 epochs show what it does after
        echo "== early termination: NB201, 100 seeds, budget 10000 epochs"
        t0=$(now)
        ./nasw compare --table "$LC" --strategies $E --seeds 100 --budget 10000e \
            --checkpoints 1000e,2000e,4000e --dir "$OUT/mf_nb201_et" | tail -n +2
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
            --checkpoints 40e,100e --dir "$OUT/mf_fp" | tail -n +2
    fi
}

if want agree && need "$NB" "set NASW_DATA"; then
echo "== agreement: NB201, 100 seeds, 150 queries (test accuracy of the best-by-validation arch)"
./nasw compare --table "$NB" --strategies random,evolution:population=50:sample=10,local,reinforce \
    --seeds 100 --budget 150 --no-plot --quiet --dir "$OUT/agree"
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
fi

if want speed && need "$NB" "set NASW_DATA"; then
echo
echo "== speed: 4 strategies x 3 datasets x 100 seeds x 300 queries, table load included"
tn=$(median_time 5 ./nasw compare --table "$NB" --strategies random,evolution,local,reinforce \
    --seeds 100 --budget 300 --no-plot --quiet --dir "$OUT/speed")
tp=$(median_time 1 python3 bench/ref_protocol.py "$NB" 100 300)
echo "nasw compare (4 strategies, $(nproc) cores):        ${tn} s  (median of 5)"
echo "python reference (random+evolution only, 1 core): ${tp} s"
echo "ratio python/nasw: $(echo "$tp / $tn" | bc -l | xargs printf '%.1f')x (nasw doing twice the strategies)"
fi

if want train; then
echo
echo "== trainer throughput: C=16 N=1, 28x28, batch 128, 2 threads, 50 steps after warm-up"
cc -O2 -o "$OUT/sgemm_peak" bench/sgemm_peak.c -lopenblas
OPENBLAS_NUM_THREADS=2 "$OUT/sgemm_peak" 2048 | tee "$OUT/sgemm_peak.txt"
OMP_NUM_THREADS=2 ./nasw train --arch "$ARCH" --channels 16 --cells 1 --batch-size 128 --benchmark 50 | tee "$OUT/nasw_train.txt"
awk '/sgemm peak:/ {p = $3} /^compute:/ {c = $2} END {
    printf "nasw: %.0f%% of the two-thread sgemm peak\n", 100 * c / p }' "$OUT/sgemm_peak.txt" "$OUT/nasw_train.txt"
# where the step goes: every convolution shape of the network, both algorithms
make -s build/libnasw.a
cc -O2 -std=c11 -I. -D_POSIX_C_SOURCE=200809L -o "$OUT/conv_shapes" bench/conv_shapes.c build/libnasw.a \
    -lopenblas -fopenmp -lm
OMP_NUM_THREADS=2 "$OUT/conv_shapes" 10 | tee "$OUT/conv_shapes.txt"
if have_torch; then
    # The machine's speed drifts by several per cent over minutes, so the
    # peer and nasw run in 3 alternating pairs and each pair gives a ratio.
    # The peer at its best: channels_last (oneDNN on NHWC), tuned malloc
    # (torch_peer.py), and each pair also runs it with its allocations on
    # transparent huge pages (glibc.malloc.hugetlb=1, as nasw's activation
    # buffers are); the faster of the two counts.  NCHW (PyTorch's default
    # format) once, for reference.
    for i in 1 2 3; do
        OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_peer.py "$ARCH" 16 1 128 50 2 \
            >"$OUT/torch_train_$i.txt"
        GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 \
            /usr/bin/python3 bench/torch_peer.py "$ARCH" 16 1 128 50 2 >"$OUT/torch_train_thp_$i.txt"
        OMP_NUM_THREADS=2 ./nasw train --arch "$ARCH" --channels 16 --cells 1 --batch-size 128 --benchmark 50 \
            >"$OUT/nasw_train_$i.txt"
        awk -v i=$i '/throughput:/ {v[FILENAME] = $2} END {
            for (f in v) if (f ~ /nasw/) n = v[f]; else if (f ~ /thp/) t = v[f]; else p = v[f]
            b = p > t ? p : t
            printf "pair %d: pytorch channels_last %.1f, with THP %.1f, nasw %.1f images/s: ratio %.3fx\n", i, p, t, n, n / b
        }' "$OUT/torch_train_$i.txt" "$OUT/torch_train_thp_$i.txt" "$OUT/nasw_train_$i.txt" | tee "$OUT/pair_$i.txt"
    done
    cat "$OUT"/pair_?.txt | awk '{print $NF + 0}' | sort -n | awk '{r[NR] = $1} END {
        printf "ratio nasw/pytorch (channels_last, the faster allocator): %.2fx, median of %d pairs (%.2f-%.2f)\n",
            r[int((NR + 1) / 2)], NR, r[1], r[NR] }'
    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_peer.py "$ARCH" 16 1 128 50 2 nchw | tee "$OUT/torch_train_nchw.txt"
    awk '/throughput:/ {v[FILENAME] = $2} END {
        for (f in v) if (f ~ /nasw/) n = v[f]; else p = v[f]
        printf "ratio nasw/pytorch (nchw): %.2fx\n", n / p }' "$OUT/nasw_train.txt" "$OUT/torch_train_nchw.txt"
fi
fi

# --- predictors, GP speed and search figures (issue 4) -----------------------
# Python peers (scikit-learn) run on the splits nasw wrote (--splits-out), so
# both sides are scored on identical training and test sets.  The LSTM
# surrogate (`lstm` predictor) and the `pnas` strategy join automatically
# once `nasw predict -h` / `nasw search -h` list them.
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
sklearn_ok() { $PY -c 'import sklearn, scipy, numpy' 2>/dev/null; }
has_lstm() { ./nasw predict -h | grep -q 'lstm'; }
has_pnas() { ./nasw search -h | grep -q '^  pnas '; }
# side by side: predictor, n, Kendall +- sd, Spearman, MAE, fit+predict s, lpd
pred_table() {
    awk -F, 'FNR == 1 { next } { printf "  %-22s %6s %8.3f +-%5.3f %9.3f %7.2f %9.3f %9s\n", $1, $2, $4, $5, $6, $7, $8, $9 }' "$@"
}
# best predictor of each file per training size, "file size kendall name"
pred_best() {
    awk -F, 'FNR == 1 { f++; next } { k = f SUBSEP $2; if (!(k in b) || $4 > b[k]) { b[k] = $4; n[k] = $1 } }
        END { for (k in b) { split(k, a, SUBSEP); printf "%s %s %.3f %s\n", a[1], a[2], b[k], n[k] } }' "$@" | sort -k2n -k1n
}

if want predict && need "$NB" "set NASW_DATA"; then
echo
echo "== predictors: NB201 cifar10 val_acc, one-hot (gp:path: path encoding), 200-arch test set, 30 trials"
P=gp,gp:path,gp:nowarp
has_lstm && P=$P,lstm
mkdir -p "$OUT/predict"
./nasw predict --table "$NB" --dataset cifar10 --predictors $P --train-sizes 100,1000 --test-size 200 \
    --trials 30 --seed 1 --dir "$OUT/predict" --splits-out "$OUT/predict/splits.csv" >/dev/null
rm -f "$OUT/predict/peers.csv"
if sklearn_ok; then
    $PY bench/predict_peers.py "$OUT/predict/splits.csv" "$OUT/predict/peers.csv" 2>/dev/null
else
    echo "scikit-learn peers skipped: python3-sklearn/python3-scipy cannot be imported (make bench installs them as root)"
fi
echo "  predictor                   n  kendall +- sd  spearman     mae   fit_s       lpd"
pred_table "$OUT/predict/summary.csv" $(ls "$OUT/predict/peers.csv" 2>/dev/null)
if [ -f "$OUT/predict/peers.csv" ]; then
    pred_best "$OUT/predict/summary.csv" "$OUT/predict/peers.csv" | awk '
        $1 == 1 { nb[$2] = $3; nn[$2] = $4 } $1 == 2 { pb[$2] = $3; pn[$2] = $4 }
        END { for (s in nb) printf "  n=%-5s best nasw %s %.3f vs best peer %s %.3f: %s\n", s, nn[s], nb[s], pn[s], pb[s],
              (nb[s] > pb[s] ? "nasw ahead" : "peer ahead") }'
fi

ZC=$DATA/nasbench201/nb201_zc_subset.csv
if [ -f "$ZC" ]; then
    echo
    echo "== trained predictors vs the params baseline: nb201_zc_subset.csv cifar10 (724 archs), 200-arch test set, 30 trials"
    P=params_m,gp,gp:path
    has_lstm && P=$P,lstm
    ./nasw predict --table "$ZC" --dataset cifar10 --predictors $P --train-sizes 10,20,50,100,200,300,400,500 \
        --test-size 200 --trials 30 --seed 1 --dir "$OUT/predict_zc" >/dev/null
    echo "  predictor                   n  kendall +- sd  spearman     mae   fit_s       lpd"
    pred_table "$OUT/predict_zc/summary.csv"
    awk -F, 'FNR == 1 { next } $1 == "params_m" { k0 = $4; s0 = $6; next }
        { if (!($1 in first) && $4 > k0 && $6 > s0) first[$1] = $2; seen[$1] = 1 }
        END { for (p in seen) printf "  %s beats params_m (Kendall %.3f, Spearman %.3f) from n = %s on\n", p, k0, s0,
              (p in first) ? first[p] : "never (up to 500)" }' "$OUT/predict_zc/summary.csv"
fi
fi

# --- the predictor zoo (docs/predictor-zoo.md) --------------------------------
# The predict protocol (seed 1: the same splits as the predict section) for
# the zoo, ZOO_TRIALS trials (default 5; 30 is the protocol's count; gcn and
# the stacked ensemble, which cost far more per fit, take ZOO_TRIALS_GCN and
# ZOO_TRIALS_STACK, default ZOO_TRIALS).  Trial t's split depends on the seed
# and t only, so fewer trials are the first trials of the same splits.
# Resumes: every predictor is its own `nasw predict` run in its own
# directory, skipped when that directory already holds summary.csv of the
# same trial count (outputs are written atomically, summary.csv last), so an
# interrupted run loses at most the predictor it was fitting.
zoo_one() { # zoo_one DIR TRIALS PREDICTOR [predict options...]
    zd=$1 zt=$2 zp=$3
    shift 3
    if [ -f "$zd/summary.csv" ] && [ "$(cat "$zd/trials" 2>/dev/null)" = "$zt" ]; then return 0; fi
    mkdir -p "$zd"
    ./nasw predict "$@" --seed 1 --trials "$zt" --predictors "$zp" --dir "$zd" >/dev/null
    echo "$zt" >"$zd/trials"
}
if want zoo && need "$NB" "set NASW_DATA"; then
echo
ZT=${ZOO_TRIALS:-5}
ZTG=${ZOO_TRIALS_GCN:-$ZT}
ZTS=${ZOO_TRIALS_STACK:-$ZT}
echo "== predictor zoo: NB201 cifar10 val_acc, 200-arch test set ($ZT trials; gcn $ZTG, stacked ensemble $ZTS)"
Z=$OUT/zoo
mkdir -p "$Z"
E=gp/path+xgb/features=zc+mlp/features=zc
ZS=""
for p in xgb rf xgb:features=zc rf:features=zc mlp mlp:features=zc ensemble:members=$E:combine=rank gcn \
         ensemble:members=$E; do
    case $p in gcn) t=$ZTG ;; ensemble:members=$E) t=$ZTS ;; *) t=$ZT ;; esac
    d=$Z/p/$(printf %s "$p" | tr ':/+=' '_.,-')
    zoo_one "$d" "$t" "$p" --table "$NB" --dataset cifar10 --train-sizes 100,1000 --test-size 200
    ZS="$ZS $d/summary.csv"
done
echo "  predictor                   n  kendall +- sd  spearman     mae   fit_s       lpd"
# shellcheck disable=SC2086
pred_table $ZS
echo
echo "== zero-cost combinations: data/fmnist_proxy_zc.csv val_acc, 800 training cells, 200 test, $ZT trials"
zoo_one "$Z/fm" "$ZT" \
    xgb:encoding=none:features=zc,rf:encoding=none:features=zc,mlp:encoding=none:features=zc,ensemble:members=rf/encoding=none/features=zc+mlp/encoding=none/features=zc+jacov:combine=rank,jacov \
    --table data/fmnist_proxy_zc.csv --train-sizes 800 --test-size 200
pred_table "$Z/fm/summary.csv"
fi

if want gpspeed && need "$NB" "set NASW_DATA"; then
# The goal's terms: CPU seconds of fit + predict inside each process (nasw's
# fit_cpu_s, the peer's time.process_time() around fit + predict), both at
# one thread, 3 starts, the same 3 splits; the whole process (table load,
# Python start-up and imports) as a second column.  GPSPEED_RUNS runs (default
# 3) taken in turn, medians printed.  Hold the bench lock around this section.
G=$OUT/gpspeed
RUNS=${GPSPEED_RUNS:-3}
echo
echo "== GP fit + predict at n = 1000 (NB201 cifar10, one-hot, Matern-5/2 + noise, 3 optimiser starts, 1 thread each), 3 splits, $RUNS runs"
mkdir -p "$G"
rm -f "$G/runs.csv" "$G"/peers*.csv
for i in $(seq "$RUNS"); do
    /usr/bin/time -f %U+%S -o "$G/time" env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ./nasw predict --table "$NB" \
        --dataset cifar10 --predictors gp:nowarp --train-sizes 1000 --test-size 200 --trials 3 --seed 2 \
        --dir "$G/nasw$i" --splits-out "$G/splits.csv" >/dev/null
    # run,side,in-process CPU s (3 fits),in-process wall s,whole-process CPU s,lpd,evaluations per fit
    awk -F, -v i="$i" -v p="$(tail -1 "$G/time" | bc -l)" 'NR == 2 { printf "%s,nasw,%.4f,%.4f,%.4f,%s,\n", i, 3 * $10, 3 * $8, p, $9 }' \
        "$G/nasw$i/summary.csv" >>"$G/runs.csv"
    if sklearn_ok; then
        /usr/bin/time -f %U+%S -o "$G/time" $PY bench/predict_peers.py "$G/splits.csv" "$G/peers$i.csv" --peers sklearn_gp \
            --restarts 3 --threads 1 2>/dev/null
        awk -F, -v i="$i" -v p="$(tail -1 "$G/time" | bc -l)" 'NR == 2 { printf "%s,sklearn,%.4f,%.4f,%.4f,%s,%s\n", i, 3 * $10, 3 * $8, p, $9, $11 }' \
            "$G/peers$i.csv" >>"$G/runs.csv"
    fi
done
echo "  predictor                   n  kendall +- sd  spearman     mae   fit_s       lpd"
pred_table "$G/nasw$RUNS/summary.csv" $(ls "$G/peers$RUNS.csv" 2>/dev/null)
awk -F, '
    function med(side, c,    n, i, j, t, a) {
        n = 0
        for (i = 1; i <= nr; i++) if (sd[i] == side) a[++n] = v[i, c]
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j] < a[j - 1]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { nr++; sd[nr] = $2; for (c = 3; c <= 7; c++) v[nr, c] = $c; has[$2] = 1 }
    END {
        printf "\n  medians of %d runs      fit+predict CPU s  fit+predict wall s  whole-process CPU s  held-out lpd  lml evals/fit\n", nr / (has["sklearn"] ? 2 : 1)
        printf "  %-22s %18.3f %19.3f %20.3f %13.6f %12s\n", "nasw gp:nowarp", med("nasw", 3), med("nasw", 4), med("nasw", 5), med("nasw", 6), "-"
        if (!has["sklearn"]) { print "  scikit-learn peer skipped: python3-sklearn/python3-scipy cannot be imported"; exit }
        printf "  %-22s %18.3f %19.3f %20.3f %13.6f %12.1f\n", "scikit-learn GPR", med("sklearn", 3), med("sklearn", 4), med("sklearn", 5), med("sklearn", 6), med("sklearn", 7)
        printf "  sklearn/nasw: fit+predict CPU %.1fx (the goal: 10x), wall %.1fx, whole process %.1fx\n",
            med("sklearn", 3) / med("nasw", 3), med("sklearn", 4) / med("nasw", 4), med("sklearn", 5) / med("nasw", 5)
    }' "$G/runs.csv"
fi

if want search && need "$NB" "set NASW_DATA"; then
echo
echo "== search: NB201, 100 seeds, 100 and 150 queries (test acc of the best-by-validation arch, mean +- 95% CI)"
mkdir -p "$OUT"
S=evolution:population=50:sample=10,local,bo,bo:encoding=path
has_pnas && S=$S,pnas
./nasw compare --table "$NB" --strategies $S --seeds 100 --budget 150 --checkpoints 100 --no-plot --quiet \
    --dir "$OUT/search"
awk -F, 'FNR == 1 { next } { s = $2; sub(/^evolution:.*/, "evolution", s)
    printf "  %-15s %-16s %4s %8.2f +-%5.2f  queries_to_best %6s  found_best %3s/%s\n", $1, s, $3, $5, $7,
        $9 == "" ? "-" : sprintf("%.1f", $9), $10, $4 }' "$OUT/search/summary.csv"
echo "  paired (Wilcoxon signed-rank over seeds, paired bootstrap CI of the difference):"
awk -F, 'FNR == 1 { next } $3 ~ /^(bo|pnas)/ || $4 ~ /^(bo|pnas)/ { a = $3; b = $4
    sub(/^evolution:.*/, "evolution", a); sub(/^evolution:.*/, "evolution", b)
    printf "  %-15s %4s %-16s - %-16s %+7.3f [%+.3f, %+.3f]  p = %.2g\n", $1, $2, a, b, $8, $9, $10, $12 }' \
    "$OUT/search/pairs.csv"
echo "  moonshot: mean queries to cifar100's best-by-validation cell (bo:encoding=path, 100 seeds, budget 300)"
./nasw compare --table "$NB" --datasets cifar100 --strategies bo:encoding=path --seeds 100 --budget 300 \
    --checkpoints 150 --no-plot --quiet --dir "$OUT/moon"
awk -F, 'NR > 1 && $3 == 300 { printf "  queries_to_best %s, found by %s of %s runs\n",
    ($9 == "" ? "- (not every run found it)" : $9), $10, $4 }' "$OUT/moon/summary.csv"
fi

if want lcurve && need "$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv" "set NASW_DATA"; then
echo
lcurve_bench
fi

if want lstm && need "$NB" "set NASW_DATA"; then
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
fi

if want mf; then
echo
mf
fi

if want supernet; then
echo
echo "== supernet: DARTS first-order step (logits on a validation batch, then weights), NB201 supernet at the proxy preset"
echo "   (C=8 N=1 12x12, batch 128), 30 steps after 5 warm-up; 3 alternating pairs per thread count"
make -s build/libnasw.a
cc -std=c11 -O2 -I. -D_POSIX_C_SOURCE=200809L -o "$OUT/supernet_bench" bench/supernet_bench.c build/libnasw.a \
    -lgsl -llapacke -lopenblas -lcsv -ljansson -lxgboost -lz -fopenmp -lpthread -lm
# Passive OpenMP waiting on both sides: on a shared machine a spinning
# thread burns the time slices its partner needs (at a load of 15 on 2
# cores both sides ran 5-25x slower with the default policy), which
# measures the load, not the step.
SN="8 1 12 128 30"
for th in 2 1; do
    for i in 1 2 3; do
        if have_torch >/dev/null; then
            OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=1 \
                /usr/bin/python3 bench/supernet_peer.py $SN $th >"$OUT/sn_torch_${th}_$i.txt"
        fi
        OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$th "$OUT/supernet_bench" $SN >"$OUT/sn_nasw_${th}_$i.txt"
    done
    if ! have_torch; then
        cat "$OUT/sn_nasw_${th}_1.txt"
        continue
    fi
    for i in 1 2 3; do
        awk -v i=$i -v th=$th '/throughput:/ {t[FILENAME ~ /nasw/] = $2} /cpu_s:/ {c[FILENAME ~ /nasw/] = $2}
            /max_rss_kb:/ {m[FILENAME ~ /nasw/] = $2} /rss_import_kb:/ {r0 = $2} END {
            printf "%d threads, pair %d: pytorch %.1f images/s (%.2f cpu s), nasw %.1f images/s (%.2f cpu s): " \
                "ratio %.3fx wall, %.3fx cpu; peak RSS pytorch %.0f MB (%.0f MB after import torch), nasw %.0f MB\n",
                th, i, t[0], c[0], t[1], c[1], t[1] / t[0], c[0] / c[1], m[0] / 1024, r0 / 1024, m[1] / 1024
        }' "$OUT/sn_torch_${th}_$i.txt" "$OUT/sn_nasw_${th}_$i.txt"
    done | tee "$OUT/sn_pairs_$th.txt"
    for col in wall cpu; do
        sed -n "s/.*ratio \([0-9.]*\)x wall, \([0-9.]*\)x cpu.*/\1 \2/p" "$OUT/sn_pairs_$th.txt" |
            awk -v col=$col '{print col == "wall" ? $1 : $2}' | sort -n | awk -v th=$th -v col=$col '{r[NR] = $1} END {
            printf "ratio nasw/pytorch, %d threads, %s: %.2fx, median of %d pairs (%.2f-%.2f)\n", th,
                col == "wall" ? "images/s" : "CPU time per image", r[int((NR + 1) / 2)], NR, r[1], r[NR] }'
    done
done
fi

if want accuracy && need "$FMNIST" "install dataset-fashion-mnist"; then
echo
echo "== accuracy: C=16 N=1 28x28, SGD Nesterov 0.9, cosine from 0.1, wd 5e-4, 4 epochs on 10k images, batch 128"
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
fi

if want proxy && need "$FMNIST" "install dataset-fashion-mnist" && need "$PROXY_TABLE" "set PROXY_TABLE"; then
echo
echo "== proxy reproducibility: 20 architectures of the sample of $PROXY_TABLE, training seed 1"
mkdir -p "$OUT/proxy"
./nasw tables build --space nb201 --sample 20 --preset proxy --seed 0 --train-seed 1 --out "$OUT/proxy/seed1.csv"
python3 bench/proxy_corr.py "$PROXY_TABLE" "$OUT/proxy/seed1.csv"
fi

if want rl; then
echo
echo "== rl: reinforce, ppo, qlearn and random, 100 seeds x 150 queries (NB201, NAS-Bench-Macro)"
NASW_DATA=$DATA BENCH_OUT=$OUT bench/rl.sh
fi
if want warmstart; then
echo
echo "== warmstart: evolution, local, bo cold vs init=zc (nwot on the proxy table, zen_score on NB201)"
NASW_DATA=$DATA BENCH_OUT=$OUT bench/warmstart.sh
fi
if want nao; then
echo
echo "== nao: nao, bananas, bo:encoding=path, random (NB201 cifar10, the proxy table)"
NASW_DATA=$DATA BENCH_OUT=$OUT bench/nao.sh
fi
if want moo; then
echo
echo "== moo: hypervolume regret on HW-NAS-Bench-201 (val_acc max, latency min), 100 seeds x 150 queries"
NASW_DATA=$DATA bench/moo.sh "$OUT/moo"
fi
