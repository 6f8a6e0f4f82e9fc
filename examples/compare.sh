#!/bin/sh
# examples/compare.sh - compare search strategies on a table, with figures.
#
#   make && examples/compare.sh [TABLE] [OUT]
#
# Runs random search, regularized evolution and local search for SEEDS seeds
# (default 20) of BUDGET queries (default 100) on every dataset of TABLE
# (default data/fmnist_proxy.csv, the table nasw's own trainer built; e.g.
# ../shared/data/nasbench201/nb201_final.csv for NAS-Bench-201), into OUT
# (default compare-out): summary.csv, pairs.csv and the figures
# trajectories.pdf and regret.pdf (.png, .svg beside them) made by `nasw plot`.
# About 10 s with the defaults.
set -eu
cd "$(dirname "$0")/.."
NASW=${NASW:-./nasw}
TABLE=${1:-data/fmnist_proxy.csv}
OUT=${2:-compare-out}
$NASW compare --table "$TABLE" --strategies "${STRATEGIES:-random,evolution,local}" \
    --seeds "${SEEDS:-20}" --budget "${BUDGET:-100}" --jobs "${JOBS:-2}" --dir "$OUT"
echo "figures: $OUT/trajectories.pdf $OUT/regret.pdf (and .png, .svg)"
