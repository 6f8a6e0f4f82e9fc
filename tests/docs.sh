#!/bin/sh
# tests/docs.sh - the documentation agrees with the code (run by make cli-test):
# docs/commands.md is what scripts/commands-md.sh makes of the current -h
# texts; every command and subcommand has a man page naming all its flags;
# docs/strategies.md documents every registered strategy and every key of it;
# the user documentation refers to no file outside the project.
set -u
NASW=${NASW:-./nasw}
T=$(mktemp -d /tmp/nasw-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

scripts/commands-md.sh "$NASW" >"$T/commands.md" 2>"$T/err" || bad "scripts/commands-md.sh failed: $(cat "$T/err")"
if cmp -s "$T/commands.md" docs/commands.md; then ok; else
    bad "docs/commands.md is out of date with the -h texts: run 'make docs'"
    diff docs/commands.md "$T/commands.md" | head -10 | sed 's/^/    /'
fi

# man pages: one per command (but help, version) and subcommand, with every flag
flags_in_page() { # PAGE HELP-ARGS...
    page=$1; shift
    [ -f "$page" ] || { bad "no man page $page: run 'make docs'"; return; }
    for f in $("$NASW" help "$@" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        esc=$(printf '%s' "$f" | sed 's/-/\\-/g')   # roff escapes hyphens but in the synopsis
        grep -qF -- "$esc" "$page" || grep -qF -- "$f" "$page" || { bad "$page lacks $f: run 'make docs'"; return; }
    done
    ok
}
flags_in_page man/nasw.1
for c in $("$NASW" help | awk '/^  [a-z]/ && $1 != "help" && $1 != "version" {print $1}'); do
    flags_in_page "man/nasw-$c.1" "$c"
    for s in $(scripts/subcommands.sh "$NASW" "$c"); do flags_in_page "man/nasw-$c-$s.1" "$c" "$s"; done
done

# strategies.md: a section "### `NAME`" per strategy listing each key as `key`
"$NASW" search -h | awk '/^strategies / { on = 1; next }
    on && /^  [a-z]/ { name = $1; print name; next }
    on && /^      [a-z_]+=/ { sub(/=.*/, "", $1); print name, $1 }' >"$T/strategies"
[ -s "$T/strategies" ] && ok || bad "no strategies in 'nasw search -h'"
while read -r name key; do
    sect=$(awk -v h="### \`$name\`" '$0 == h { on = 1; next } on && /^##/ { exit } on' docs/strategies.md)
    if [ -z "$sect" ]; then bad "docs/strategies.md has no section for strategy '$name'"
    elif [ -n "$key" ] && ! printf '%s\n' "$sect" | grep -q "\`$key\`"; then bad "docs/strategies.md: '$name' lacks key '$key'"
    else ok; fi
done <"$T/strategies"

# output-files.md names every column of every CSV the commands write
F=tests/fixtures
cols_documented() { # FILE...
    for f in "$@"; do
        [ -s "$f" ] || { bad "no output $f"; continue; }
        head -1 "$f" | tr ',' '\n' | while read -r c; do
            grep -qF "\`$c\`" docs/output-files.md || echo "$f: $c"
        done >"$T/undoc"
        [ -s "$T/undoc" ] && bad "docs/output-files.md lacks column(s): $(tr '\n' ' ' <"$T/undoc")" || ok
        head -1 "$f" | grep -q '^#' && bad "$f starts with a comment line" || ok
    done
}
"$NASW" compare --table $F/figs/micro.csv --seeds 2 --budget 3 --no-plot -q --dir "$T/c" \
    --objectives val_acc:max,params:min >/dev/null 2>&1 || bad "compare for the output columns failed"
"$NASW" predict --table $F/figs/micro.csv --predictors params --train-sizes 3 --test-size 3 --trials 2 \
    -q --splits "$T/splits.csv" --dir "$T/p" >/dev/null 2>&1 || bad "predict for the output columns failed"
"$NASW" lcurve eval --curves $F/cli/lc_acc.csv --methods last --fractions 0.25 --examples 0 -q \
    --dir "$T/l" >/dev/null 2>&1 || bad "lcurve eval for the output columns failed"
cols_documented "$T"/c/*.csv "$T"/p/*.csv "$T/splits.csv" "$T"/l/*.csv

# user documentation stays inside the project
for f in README.md docs/*.md bench/README.md; do
    [ -f "$f" ] || continue
    grep -n 'GUIDE\.md\|\.\./shared/GUIDE' "$f" && bad "$f refers to a file outside the project" || ok
done
echo "docs tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
