#!/bin/sh
# make demo: the main job.  Compares every strategy on NAS-Bench-201 (3
# datasets, 100 seeds, 300 queries) from $NASW_DATA (default ../shared/data),
# prints the statistics table and writes the plots to demo-out/.  Without the
# data, runs the same comparison on the small table shipped for the tests and
# says so.
set -eu
DATA=${NASW_DATA:-../shared/data}
OUT=${DEMO_OUT:-demo-out}
NB=$DATA/nasbench201/nb201_final.csv
if [ -f "$NB" ]; then
    ./nasw compare --table "$NB" --seeds 100 --budget 300 --checkpoints 10,30,100,150 --out "$OUT"
else
    echo "demo: $NB not found (set NASW_DATA to the benchmark data directory);"
    echo "demo: running on the small fixture table tests/fixtures/cli/mini.csv instead"
    ./nasw compare --table tests/fixtures/cli/mini.csv --seeds 100 --budget 60 --checkpoints 10,30 --out "$OUT"
fi
echo "demo: results in $OUT/ (summary.csv, pairs.csv, trajectories.csv, trajectories.png, regret.png)"
