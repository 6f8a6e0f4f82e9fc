#!/bin/sh
# examples/plot.sh - the figures of a comparison, sized for a paper.
#
#   make && examples/compare.sh && examples/plot.sh [DIR] [W,H]
#
# Redraws the comparison in DIR (default compare-out, made by
# examples/compare.sh) at W x H inches (default 7,2.8: the text width of a
# two-column paper; 3.4,2.6 for one column): the test accuracy of the best
# architecture by validation accuracy against queries (trajectories.pdf),
# its regret to the validation-selection ceiling on a log axis (regret.pdf)
# and the validation accuracy searched on (trajectories_search.pdf).
# Include them with \includegraphics{DIR/trajectories.pdf} at their natural
# size: the text is then 9 pt, the tick labels 8 pt.
set -eu
cd "$(dirname "$0")/.."
NASW=${NASW:-./nasw}
DIR=${1:-compare-out}
SIZE=${2:-7,2.8}
$NASW plot "$DIR" --size "$SIZE"
$NASW plot "$DIR" --size "$SIZE" --regret
$NASW plot "$DIR" --size "$SIZE" --metric search
ls "$DIR"/trajectories.pdf "$DIR"/regret.pdf "$DIR"/trajectories_search.pdf 2>/dev/null ||
    echo "no PDF: gnuplot (with its pdfcairo terminal) is needed; the .gp scripts are in $DIR"
