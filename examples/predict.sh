#!/bin/sh
# examples/predict.sh - how well do predictors rank unseen architectures?
#
#   make && examples/predict.sh [TABLE] [OUT]
#
# Fits a Gaussian process on the architecture encoding and ranks by two
# zero-cost proxies (training-free columns of TABLE, default
# data/fmnist_proxy_zc.csv: nasw's own Fashion-MNIST table with its
# proxies) on TRIALS random splits (default 10), into OUT (default
# predict-out): summary.csv, kendall.pdf (Kendall tau against the training
# set size) and scatter_PREDICTOR.pdf (rank against rank for a proxy, whose
# scale is not the accuracy's; values for the GP; sentinel scores dropped).
# For NAS-Bench-201: TABLE=../shared/data/nasbench201/nb201_final.csv with
# PREDICTORS=gp,zen_score DATASET=cifar10.  About 20 s with the defaults.
set -eu
cd "$(dirname "$0")/.."
NASW=${NASW:-./nasw}
TABLE=${1:-data/fmnist_proxy_zc.csv}
OUT=${2:-predict-out}
set -- --table "$TABLE" --predictors "${PREDICTORS:-gp,synflow,zen}" --train-sizes "${SIZES:-10,20,50,100}" \
    --test-size "${TEST_SIZE:-200}" --trials "${TRIALS:-10}" --dir "$OUT"
[ -n "${DATASET:-}" ] && set -- "$@" --dataset "$DATASET"
$NASW predict "$@"
echo "figures: $OUT/kendall.pdf $OUT/scatter_*.pdf (and .png, .svg)"
