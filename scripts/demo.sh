#!/bin/sh
# make demo: the main job.
#  1. every strategy on the table nasw built itself with its live trainer
#     (data/fmnist_proxy.csv: NAS-Bench-201 cells trained on Fashion-MNIST),
#     which ships with the project, so this runs on a fresh machine;
#  2. when the NAS-Bench-201 data is present ($NASW_DATA, default
#     ../shared/data): every strategy on NB201's 3 datasets, 100 seeds,
#     300 queries; the model-based strategies (bo, pnas) against evolution and
#     local search; the multi-fidelity strategies on NB201's learning curves.
# Prints the statistics tables and writes the plots under demo-out/.
set -eu
DATA=${NASW_DATA:-../shared/data}
OUT=${DEMO_OUT:-demo-out}
OWN=data/fmnist_proxy.csv
NB=$DATA/nasbench201/nb201_final.csv
if [ -f "$OWN" ]; then
    n=$(($(grep -c '' "$OWN") - 1))
    budget=$((n / 3))
    [ "$budget" -ge 10 ] || budget=10
    echo "== nasw's own table: $n NB201 cells trained on Fashion-MNIST ($OWN)"
    ./nasw compare --table "$OWN" --strategies random,evolution,local,reinforce,bo --seeds 100 \
        --budget "$budget" --dir "$OUT/fmnist"
    echo
    echo "== the same table at equal epoch budgets: multi-fidelity strategies (its 4-epoch curves)"
    ./nasw compare --table "$OWN" --strategies random,evolution,sh,hyperband,bohb --seeds 100 \
        --budget "$((budget * 4))e" --dir "$OUT/fmnist-mf"
fi
if [ -f "$NB" ]; then
    echo
    echo "== NAS-Bench-201 ($NB)"
    ./nasw compare --table "$NB" --strategies random,evolution,local,reinforce --seeds 100 --budget 300 \
        --checkpoints 10,30,100,150 --dir "$OUT/nb201"
    echo
    echo "== NAS-Bench-201, model-based search (GP BO, PNAS LSTM) against evolution and local search (20 seeds, 150 queries)"
    ./nasw compare --table "$NB" --strategies evolution,local,bo:encoding=path,pnas --seeds 20 --budget 150 \
        --dir "$OUT/nb201-bo"
    LC=$DATA/nasbench201/nb201_lc_cifar10-valid_200archs.csv
    if [ -f "$LC" ]; then
        echo
        echo "== NAS-Bench-201 learning curves (200 archs x 200 epochs): multi-fidelity search, 100 seeds, 4000 epochs"
        ./nasw compare --table "$LC" --strategies random,evolution,sh,hyperband,bohb --seeds 100 --budget 4000e \
            --checkpoints 1000e,2000e --dir "$OUT/nb201-mf"
    fi
else
    echo "demo: $NB not found (set NASW_DATA to the benchmark data directory): NB201 part skipped"
    if [ ! -f "$OWN" ]; then
        ./nasw compare --table tests/fixtures/cli/mini.csv --seeds 100 --budget 60 --dir "$OUT/mini"
    fi
fi
echo "demo: results in $OUT/ (summary.csv, pairs.csv, trajectories.csv, trajectories.png, regret.png)"
