#!/bin/sh
# Enforce the module dependency rule (docs/design.md) on our own #include lines:
#   core/ -> core/ only; tables/, surrogate/, train/, stats/, plots/ -> core/;
#   search/ -> core/, surrogate/, stats/; api/ (the public library API) ->
#   every library module but plots/ (no gnuplot in the library) and never
#   cli/ (the CLI is a client of api/, not the other way); cli/ and nasw.c
#   -> anything.
set -u
status=0
check() { # module allowed-prefixes...
    mod=$1; shift
    pat=$(printf '%s/|' "$@"); pat=${pat%|}
    for f in "$mod"/*.[ch]; do
        [ -e "$f" ] || continue
        grep -n '#include "' "$f" | grep -vE "#include \"($pat)" | while IFS= read -r line; do
            echo "check-deps: $f:$line  ($mod/ may include only: $*)"
            echo x >>"${TMPDIR:-/tmp}/nasw-check-deps.$$"
        done
    done
}
rm -f "${TMPDIR:-/tmp}/nasw-check-deps.$$"
check core core
check tables core tables
check surrogate core surrogate
check train core train
check stats core stats
check plots core plots
check search core surrogate stats search
check api core tables surrogate train search stats api
if [ -e "${TMPDIR:-/tmp}/nasw-check-deps.$$" ]; then status=1; rm -f "${TMPDIR:-/tmp}/nasw-check-deps.$$"; fi
[ $status -eq 0 ] && echo "check-deps: module dependency rule holds"
exit $status
