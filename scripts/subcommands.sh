#!/bin/sh
# scripts/subcommands.sh NASW CMD: the subcommands of CMD that have a help
# text of their own (`nasw help tables build`), one per line: the lowercase
# words after "nasw CMD" in its usage lines whose help differs from CMD's.
# Shared by scripts/man.sh and scripts/commands-md.sh.
set -eu
NASW=$1
c=$2
parent=$("$NASW" help "$c")
for s in $(printf '%s\n' "$parent" | awk -v c="$c" '/^(usage:| +or:| +nasw )/ {
        for (i = 1; i < NF; i++) if ($i == "nasw" && $(i+1) == c && $(i+2) ~ /^[a-z][a-z-]*$/) print $(i+2) }' | sort -u); do
    [ "$("$NASW" help "$c" "$s" 2>/dev/null)" = "$parent" ] || echo "$s"
done
