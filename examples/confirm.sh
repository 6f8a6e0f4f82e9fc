#!/bin/sh
# examples/confirm.sh - do the predicted best architectures hold when trained?
#
#   make && examples/confirm.sh [TABLE] [OUT]
#
# Fits a GP on every row of TABLE (default data/fmnist_proxy.csv), ranks a
# seeded pool of POOL (default 50) architectures the table has not seen and
# trains the top TOP (default 3) with nasw's own trainer on Fashion-MNIST
# (BENCH, default live:fmnist:proxy; needs the dataset-fashion-mnist
# package), journaled to OUT/journal.csv so a rerun trains nothing again.
# Writes OUT/confirm.csv and confirm.pdf: measured against predicted test
# accuracy on one y = x axis when both are of one dataset, rank against rank
# (and said so) when the table is of another dataset.  A few minutes with the
# defaults (about 30 s of training per cell on one core).
set -eu
cd "$(dirname "$0")/.."
NASW=${NASW:-./nasw}
TABLE=${1:-data/fmnist_proxy.csv}
OUT=${2:-confirm-out}
mkdir -p "$OUT"
OPENBLAS_NUM_THREADS=1 $NASW confirm --predictor "${PREDICTOR:-gp}" --table "$TABLE" --top "${TOP:-3}" \
    --pool "${POOL:-50}" --seed "${SEED:-1}" --train-seed "${TRAIN_SEED:-1}" --bench "${BENCH:-live:fmnist:proxy}" \
    --journal "${JOURNAL:-$OUT/journal.csv}" --dir "$OUT"
echo "figure: $OUT/confirm.pdf (and .png, .svg)"
