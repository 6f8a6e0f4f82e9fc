#!/bin/sh
# fuzz/run.sh BUILD SECONDS [HARNESS...]: run each libFuzzer harness built in
# BUILD/fuzz for SECONDS seconds (all of them when none is named); fail if
# any of them crashes, leaks, times out or reports undefined behaviour.
# SECONDS = 0 runs the corpus once, without mutation (a regression pass).
# FUZZ_RUNS=N (environment) also stops each harness after N inputs and
# FUZZ_SEED=S fixes libFuzzer's random seed: with both, a run is a prefix of
# one fixed sequence of inputs on every machine (what CI does, so that it
# never fails on a defect nobody could reproduce: the same N inputs are run
# locally without the time limit before a submission); random exploration
# is for long local runs.
#
# Corpus: BUILD/corpus/NAME, seeded on every run from tests/fixtures (see
# seed below) and grown by libFuzzer; the committed hand-made seeds in
# fuzz/corpus/NAME are read but never written.  A failing input is saved as
# BUILD/artifacts/NAME-crash-* (reproduce: BUILD/fuzz/NAME FILE); the log of
# each harness is BUILD/NAME.log.  docs/fuzzing.md has the details.
set -u
build=$1 secs=$2
shift 2
[ $# -gt 0 ] || set -- $(cd "$build/fuzz" && ls fuzz_* | grep -v '\.')

fixtures=tests/fixtures
# seed NAME DIR: copy the fixtures a harness reads into its corpus
seed() {
    case $1 in
    fuzz_table_csv) cp $fixtures/tables/*.csv $fixtures/cli/*.csv "$2"/ ;;
    fuzz_table_json) for f in $fixtures/tables/*.json; do
            case $f in *.meta.json) ;; *) cp "$f" "$2"/ ;; esac
        done ;;
    fuzz_table_sidecar) cp $fixtures/tables/*.meta.json "$2"/ ;;
    fuzz_arch) # the arch column of every CSV fixture, one file each
        for f in $fixtures/tables/*.csv $fixtures/cli/*.csv; do
            awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "arch") c = i; next }
                     c { print $c }' "$f" | head -16 >"$2/$(basename "$f" .csv).arch"
        done ;;
    esac
}

fail=0
for name in "$@"; do
    bin=$build/fuzz/$name
    corpus=$build/corpus/$name
    mkdir -p "$corpus" "$build/artifacts"
    seed "$name" "$corpus"
    dict=
    [ -f "fuzz/$name.dict" ] && dict=-dict=fuzz/$name.dict
    printf '%-20s ' "$name"
    limit=-max_total_time=$secs
    [ "$secs" -gt 0 ] || limit=-runs=0
    [ -z "${FUZZ_RUNS:-}" ] || [ "$secs" -eq 0 ] || limit="$limit -runs=$FUZZ_RUNS"
    seedopt=
    [ -z "${FUZZ_SEED:-}" ] || seedopt=-seed=$FUZZ_SEED
    "$bin" $limit $seedopt -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$name-" $dict "$corpus" "fuzz/corpus/$name" >"$build/$name.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$name.log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/$name.log")
    if [ $rc -eq 0 ]; then
        echo "ok: ${runs:-?} runs, ${speed:-?} exec/s"
    else
        echo "FAILED (exit $rc): see $build/$name.log"
        grep -E '^(SUMMARY|==[0-9]+==ERROR)|fuzz check failed|runtime error' "$build/$name.log" | head -5 | sed 's/^/    /'
        fail=1
    fi
done
[ $fail -eq 0 ] || { echo "fuzz: FAILED"; exit 1; }
echo "fuzz: no crash, leak or sanitizer report in $secs s${FUZZ_RUNS:+ (at most $FUZZ_RUNS runs)} per harness${FUZZ_SEED:+, seed $FUZZ_SEED}"
