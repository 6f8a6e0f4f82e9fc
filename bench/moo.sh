#!/bin/sh
# bench/moo.sh - the multi-objective table of docs/multi-objective.md.
#
# On HW-NAS-Bench-201 (../shared/data/hw_nasbench201, CIFAR-100 val_acc
# against the latency of five devices), every multi-objective strategy, two
# single-objective ones on a random scalarisation per run and random search:
# 100 seeds x 150 queries, objectives val_acc:max,DEVICE_latency:min.  Prints
# one markdown row per (strategy, device): mean hypervolume regret (of the
# reported test_acc, see docs/multi-objective.md) at 50/100/150 queries, the
# 95% CI half-width at 150, the ratio to random search's regret at 150 and
# the Wilcoxon signed-rank p-value against random at 150 (paired by seed).
# Usage: bench/moo.sh [OUTDIR]   (env: NASW, NASW_DATA, SEEDS, JOBS, DEVICES, STRATEGIES)
set -eu
DATA=${NASW_DATA:-../shared/data}
HW=$DATA/hw_nasbench201/hw_nb201_latency_wide.csv
OUT=${1:-bench/out/moo}
SEEDS=${SEEDS:-100}
JOBS=${JOBS:-2}
DEVICES=${DEVICES:-fpga eyeriss pixel2 gold_6226 raspi4}
STRATEGIES=${STRATEGIES:-random,evolution,local,nsga2,pls,parego,ehvi}
if [ ! -f "$HW" ]; then
    echo "bench: $HW not found (set NASW_DATA); multi-objective section skipped"
    exit 0
fi
mkdir -p "$OUT"
for dev in $DEVICES; do
    # a finished directory is reused (rerun after deleting it)
    [ -f "$OUT/$dev/hv_pairs.csv" ] && continue
    "${NASW:-./nasw}" compare --table "$HW" --strategies "$STRATEGIES" --seeds "$SEEDS" --budget 150 --checkpoints 50,100 \
        --objectives "val_acc:max,${dev}_latency:min" --jobs "$JOBS" --quiet --dir "$OUT/$dev" >/dev/null
done
echo "| strategy | device | HV regret @50 | @100 | @150 | CI95 @150 | / random @150 | p vs random @150 |"
echo "|---|---|---|---|---|---|---|---|"
for dev in $DEVICES; do
    awk -F, -v dev="$dev" '
        FNR == 1 { file++; next }
        file == 1 { reg[$2, $3] = $5; ci[$2, $3] = $7; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
        file == 2 && $2 == 150 && $3 == "random" { p[$4] = $12 }
        file == 2 && $2 == 150 && $4 == "random" { p[$3] = $12 }
        END {
            for (i = 1; i <= n; i++) {
                s = order[i]
                printf "| %s | %s | %.4f | %.4f | %.4f | %.4f | %s | %s |\n", s, dev, reg[s, 50], reg[s, 100],
                       reg[s, 150], ci[s, 150], s == "random" ? "1" : sprintf("%.3f", reg[s, 150] / reg["random", 150]),
                       s == "random" ? "-" : sprintf("%.2g", p[s])
            }
        }' "$OUT/$dev/hypervolume.csv" "$OUT/$dev/hv_pairs.csv"
done
