#!/bin/sh
# bench/oneshot.sh - the weight-sharing reproduction (docs/weight-sharing.md):
# darts, gdas, enas, rsws and spos against regularized evolution and random
# search at equal seconds on the live bench (Fashion-MNIST, proxy preset),
# seeds 1..N, every derived cell trained for real.  The clock is the
# process's CPU time (live:...:clock=cpu) so that other jobs on the machine
# do not change what a run can do within its budget; one thread.  All runs
# share one journal: a cell trained once answers again with the seconds it
# took (charged again), so results equal independent runs.  Seeds run
# outermost: an interrupted run leaves whole seeds; a rerun resumes
# (compare --resume) from the last finished run.
# Environment: ONESHOT_PRESET (proxy), ONESHOT_SEEDS (5), ONESHOT_BUDGET
# (150, CPU seconds), BENCH_OUT (bench/out).
# Output: $BENCH_OUT/oneshot/cmp (compare's files, runs.jsonl with every
# query's cell) and the journal $BENCH_OUT/oneshot/journal.csv; then
# bench/oneshot_report.py prints the tables of docs/weight-sharing.md.
set -eu
OUT=${BENCH_OUT:-bench/out}/oneshot
NASW=${NASW:-./nasw}
PRESET=${ONESHOT_PRESET:-proxy}
SEEDS=${ONESHOT_SEEDS:-5}
BUDGET=${ONESHOT_BUDGET:-150}
# supernet epochs sized so that each method can finish within the budget
# (a DARTS mixture epoch costs about 3x a single-path one)
STRATS="darts:epochs=6,gdas:epochs=10,enas:epochs=8,rsws:epochs=8:rounds=2,spos:epochs=8:generations=5,evolution:population=10:sample=3,random"
mkdir -p "$OUT"
RESUME=
[ -f "$OUT/cmp/runs.jsonl" ] && RESUME=--resume
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
    $NASW compare --bench "live:fmnist:$PRESET:clock=cpu" --journal "$OUT/journal.csv" --strategies "$STRATS" \
    --seeds "$SEEDS" --budget "${BUDGET}s" --checkpoints "$((BUDGET / 3))s,$((2 * BUDGET / 3))s" \
    --jobs 1 --no-plot -v --dir "$OUT/cmp" $RESUME
/usr/bin/python3 "$(dirname "$0")/oneshot_report.py" "$OUT/cmp"
