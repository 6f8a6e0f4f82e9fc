#!/bin/sh
# bench/train_cpu.sh - CPU seconds per training step, one thread, of nasw
# binaries and of the PyTorch peer (channels_last and NCHW), side by side.
#
# A step's cost is (CPU(12 steps) - CPU(2 steps)) / 10 of
# `train --benchmark S` / `torch_peer.py ... S 1 FORMAT` (both add 5 warm-up
# steps and their start-up, which the difference cancels, as it cancels
# PyTorch's import).  CPU time (user + system, /usr/bin/time) rather than
# wall time, and one thread: the figure that stays comparable on a shared
# machine, where two-thread OpenMP runs (nasw's and PyTorch's) spin and
# collapse.  Not a substitute for `bench/run.sh train` on a quiet machine.
# Hold the bench lock around it: flock /work/bench.lock bench/train_cpu.sh ...
#
# usage: bench/train_cpu.sh [NASW_BINARY...]   (default ./nasw)
set -eu
A='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'; }
have_torch=0
/usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1
peers=""
[ $have_torch -eq 1 ] && peers="channels_last nchw"
for who in "${@:-./nasw}" $peers; do
    for s in 2 12; do
        case $who in
        channels_last | nchw)
            c=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 cpu /usr/bin/python3 bench/torch_peer.py "$A" 16 1 128 $s 1 "$who") ;;
        *) c=$(OMP_NUM_THREADS=1 cpu "$who" train --arch "$A" --channels 16 --cells 1 --batch-size 128 --benchmark $s) ;;
        esac
        eval "c$s=$c"
    done
    echo "$who $c2 $c12" | awk '{printf "%-24s CPU s per step, 1 thread: %.3f\n", $1, ($3 - $2) / 10}'
done
