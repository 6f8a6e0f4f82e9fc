#!/bin/sh
# tests/inherit.sh - weight inheritance on the live bench, end to end:
# evolution and local with inherit=1 train children from their parents'
# weights (rows in JOURNAL_inherit.csv, weights in JOURNAL.weights/), are
# charged the epochs and seconds actually trained, replay from the journals
# without training, are deterministic, resume after kill -9 to the same
# trajectory, and fall back to training from scratch when a parent's
# weights are gone.  Needs Fashion-MNIST; skipped with a message otherwise.
set -u
NASW=${NASW:-./nasw}
case $NASW in /*) ;; *) NASW=$(cd "$(dirname "$NASW")" && pwd)/$(basename "$NASW") ;; esac
T=$(mktemp -d /tmp/nasw-inherit.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ -z "${NASW_FMNIST:-}" ]; then
    echo "skip: Fashion-MNIST not found (install dataset-fashion-mnist): weight inheritance tests skipped"
    exit 0
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
B=live:fmnist:micro
EVO=evolution:population=3:sample=2:inherit=1:inherit_epochs=1
rows() { echo $(($(grep -c '' "$1") - 1)); }
# search DIR STRATEGY BUDGET: the trace lines into DIR/trace, the summary into DIR/summary
search() {
    mkdir -p "$1"
    (cd "$1" && $NASW search --bench $B --journal j.csv --strategy "$2" --budget "$3" --seed 4 --trace >out 2>err)
    rc=$?
    grep '^[0-9]' "$1/out" >"$1/trace"
    grep -v '^[0-9]' "$1/out" >"$1/summary"
    return $rc
}

# --- a search that inherits
search "$T/a" $EVO 7 && ok || bad "evolution inherit=1 failed: $(head -1 "$T/a/err")"
[ "$(wc -l <"$T/a/trace")" -eq 7 ] && ok || bad "evolution inherit=1 did not make 7 queries"
ni=$(rows "$T/a/j_inherit.csv"); ns=$(rows "$T/a/j.csv")
[ "$ni" -ge 2 ] && ok || bad "no child inherited weights ($ni inherited trainings)"
[ $((ni + ns)) -eq 7 ] && ok || bad "$ns trainings from scratch + $ni inherited != 7 queries"
# charged: 2 epochs (micro) per training from scratch, 1 per inherited one
grep -q "7 (stop: budget), .* $((2 * ns + ni)) epochs" "$T/a/summary" && ok || bad "epochs charged are not those trained: $(grep queries "$T/a/summary")"
[ "$(ls "$T/a/j.csv.weights" | wc -l)" -eq 7 ] && ok || bad "not one weights file per training"
# every inherited row's parent weights exist, and each child differs from its parent
awk -F, 'NR > 1 && ($3 == $4 || $5 != 1 || $9 != 1) {e = 1} END {exit e}' "$T/a/j_inherit.csv" && ok || bad "malformed inherited rows"
for w in $(awk -F, 'NR > 1 {print $2}' "$T/a/j_inherit.csv"); do
    [ -f "$T/a/j.csv.weights/$w.ckpt" ] || bad "parent weights $w missing"
done

# --- the same search again: answered from the journals, nothing trained
cp -r "$T/a" "$T/r"
search "$T/r" $EVO 7 && ok || bad "replay failed"
cmp -s "$T/a/trace" "$T/r/trace" && ok || bad "a replay from the journals differs"
cmp -s "$T/a/j_inherit.csv" "$T/r/j_inherit.csv" && cmp -s "$T/a/j.csv" "$T/r/j.csv" && ok || bad "a replay trained again"

# --- deterministic: a fresh run gives the same trajectory
search "$T/b" $EVO 7 && cmp -s "$T/a/trace" "$T/b/trace" && ok || bad "two fresh runs differ"

# --- kill -9 during the search, then resume: the uninterrupted trajectory
mkdir -p "$T/k"
(cd "$T/k" && exec $NASW search --bench $B --journal j.csv --strategy $EVO --budget 7 --seed 4 --trace >/dev/null 2>&1) &
pid=$!
i=0; while [ "$(cat "$T/k/j_inherit.csv" 2>/dev/null | wc -l)" -lt 2 ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
[ $i -lt 6000 ] && ok || bad "no inherited training before the kill"
search "$T/k" $EVO 7 && ok || bad "resume after kill -9 failed: $(head -1 "$T/k/err")"
cmp -s "$T/a/trace" "$T/k/trace" && ok || bad "a search killed and resumed differs from an uninterrupted one"

# --- local search inherits along its neighbourhood
search "$T/l" local:init=2:inherit=1 6 && ok || bad "local inherit=1 failed: $(head -1 "$T/l/err")"
[ "$(rows "$T/l/j_inherit.csv")" -ge 1 ] && ok || bad "local inherit=1: no neighbour inherited"

# --- the parents' weights gone (a journal made without inherit=1): their
# children train from scratch (full rows); children of those inherit again
mkdir -p "$T/f"
cp "$T/a/j.csv" "$T/a/j.csv.meta.json" "$T/a/j_curves.csv" "$T/f/"
search "$T/f" $EVO 7 && ok || bad "search without the parents' weights failed: $(head -1 "$T/f/err")"
[ "$(rows "$T/f/j.csv")" -gt "$ns" ] && ok || bad "children of parents without weights were not trained from scratch"
grep -q "^warning: [1-9][0-9]* children trained from scratch: their parents' weights were not kept" "$T/f/err" \
    && ok || bad "no warning that children trained from scratch"
grep -q "children trained from scratch" "$T/a/err" && bad "a warning without fallbacks" || ok
sed -n 4p "$T/f/trace" | cut -f6 | grep -qF -f - "$T/f/j.csv" && ok || bad "the first child (its parent without weights) has no full row"

echo "inherit.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
