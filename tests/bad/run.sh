#!/bin/sh
# tests/bad/run.sh - the bad-input battery: table-driven misuse cases.
#
# Every tests/bad/*.cases file is a shell fragment sourced here, one case per
# `bad` call.  Each case runs in a fresh, empty working directory $W (the
# command's cwd) and asserts
#   1. the exit code,
#   2. the exact first line of stderr (the one-line error), and
#   3. that the directory holds exactly the files it held before the command,
#      byte for byte (no output, no temporary file, nothing half-written).
# A crash (exit >= 128) or a sanitizer report on stderr always fails a case.
#
# Case syntax (all variables are expanded when the case runs):
#   class NAME            the class of the cases that follow (for the counts)
#   prep 'SHELL CODE'     run in $W before the next case, before the snapshot
#                         (write input files there; cleared after that case)
#   post 'SHELL CODE'     run in $W after the next case's checks (e.g. umount)
#   bad CODE 'LINE' -- COMMAND ARGS...
#                         COMMAND is usually $NASW; LINE is the whole expected
#                         first stderr line ('*' matches any line: use it only
#                         where the message comes from outside nasw)
#   needs_root / needs_data / needs_cmd X
#                         skip the next case (with a message) unless running
#                         as root / the shared data is present / X is on PATH
# Variables: $NASW (absolute), $FIX (tests/fixtures, absolute), $DATA (the
# shared data), $W (the case's working directory).
# Usage: tests/bad/run.sh [FILE.cases ...]   (default: all of tests/bad/)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NASW=${NASW:-$root/nasw}
case $NASW in /*) ;; *) NASW=$(cd "$(dirname "$NASW")" && pwd)/$(basename "$NASW") ;; esac
DATA=${NASW_DATA:-$root/../shared/data}
case $DATA in /*) ;; *) DATA=$root/$DATA ;; esac
FIX=$root/tests/fixtures
TOP=$(mktemp -d /tmp/nasw-bad.XXXXXX)
trap 'chmod -R u+w "$TOP" 2>/dev/null; rm -rf "$TOP"' EXIT
W=$TOP/w
export NASW FIX DATA W

n=0; passed=0; failed=0; skipped=0
cls=misc; classes=""; PREP=""; POST=""; SKIP=""

class() { cls=$1; case " $classes " in *" $1 "*) ;; *) classes="$classes $1" ;; esac; }
prep() { PREP=$1; }
post() { POST=$1; }
needs_root() { [ "$(id -u)" = 0 ] || SKIP="not root"; }
needs_data() { [ -d "$DATA/nasbench201" ] || SKIP="no data in $DATA"; }
needs_cmd() { command -v "$1" >/dev/null 2>&1 || SKIP="no $1"; }
count() { eval "c_$1_$2=\$(( \${c_$1_$2:-0} + 1 ))"; }
snapshot() { (cd "$W" && find . -mindepth 1 -print0 | sort -z | xargs -0 -r sh -c \
    'for f; do if [ -f "$f" ] && [ ! -L "$f" ]; then printf "%s %s\n" "$(cksum <"$f")" "$f"; else printf "%s %s\n" "$(stat -c %F "$f")" "$f"; fi; done' sh); }

bad() {
    code=$1; want=$2; shift 3   # CODE LINE --
    n=$((n + 1))
    where="$cls #$n: $*"
    if [ -n "$SKIP" ]; then
        skipped=$((skipped + 1)); echo "skip ($SKIP): $where"; SKIP=""; PREP=""; POST=""; return
    fi
    rm -rf "$W"; mkdir -p "$W"
    if [ -n "$PREP" ]; then (cd "$W" && eval "$PREP") >/dev/null 2>&1; fi
    PREP=""
    before=$(snapshot)
    (cd "$W" && "$@" >"$TOP/out" 2>"$TOP/err" </dev/null); rc=$?
    after=$(snapshot)
    first=$(head -n 1 "$TOP/err")
    why=""
    [ "$rc" -ge 128 ] && why="crashed (exit $rc)"
    grep -q -e "Sanitizer" -e "runtime error:" "$TOP/err" && why="sanitizer report"
    [ -z "$why" ] && [ "$rc" -ne "$code" ] && why="exit $rc, wanted $code"
    [ -z "$why" ] && [ "$want" != "*" ] && [ "$first" != "$want" ] && why="stderr line differs"
    [ -z "$why" ] && [ "$before" != "$after" ] && why="files changed"
    if [ -z "$why" ]; then
        passed=$((passed + 1)); count "$cls" pass
    else
        failed=$((failed + 1)); count "$cls" fail
        echo "FAIL: $where: $why"
        echo "    wanted: $want"
        sed 's/^/    got:    /' "$TOP/err" | head -n 3
        if [ "$before" != "$after" ]; then
            echo "$before" >"$TOP/b"; echo "$after" >"$TOP/a"
            diff "$TOP/b" "$TOP/a" | head -n 5 | sed 's/^/    /'
        fi
    fi
    if [ -n "$POST" ]; then (cd "$W" && eval "$POST") >/dev/null 2>&1; fi
    POST=""
    rm -rf "$W"
}

if [ $# -eq 0 ]; then set -- "$here"/*.cases; fi
for f in "$@"; do
    [ -f "$f" ] || { echo "error: no case file '$f'" >&2; exit 2; }
    cls=$(basename "$f" .cases); class "$cls"
    . "$f"
done
for c in $classes; do
    eval "p=\${c_${c}_pass:-0} q=\${c_${c}_fail:-0}"
    printf '  %-12s %4d passed %4d failed\n' "$c" "$p" "$q"
done
echo "bad-input battery: $n cases, $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
