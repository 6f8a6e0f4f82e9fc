#!/bin/sh
# tests/install.sh - `make install` and `make uninstall` into a DESTDIR (run
# by `make test`): the default PREFIX is /usr/local; the installed binary,
# man pages, bash completion and data files work from there; uninstall
# removes every file install wrote; nothing is left behind.
set -u
MAKE=${MAKE:-make}
T=$(mktemp -d /tmp/nasw-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

$MAKE -s -n install DESTDIR=/dest | grep -q ' /dest/usr/local/bin/nasw$' && ok ||
    bad "default PREFIX is not /usr/local"
P=/opt/nasw
D=$T/root
$MAKE --no-print-directory -s install DESTDIR="$D" PREFIX=$P >"$T/log" 2>&1 || { bad "make install failed"; cat "$T/log"; }
[ -x "$D$P/bin/nasw" ] && ok || bad "no executable $P/bin/nasw"
[ "$("$D$P/bin/nasw" --version)" = "$(./nasw --version)" ] && ok || bad "installed nasw --version differs"
n=$(ls man/*.1 | wc -l)
m=$(ls "$D$P/share/man/man1/"nasw*.1 2>/dev/null | wc -l)
[ "$n" -gt 1 ] && [ "$m" -eq "$n" ] && ok || bad "installed $m man pages of $n"
if command -v man >/dev/null; then
    MANPATH=$D$P/share/man man nasw-search 2>/dev/null | grep -q -- '--strategy' && ok || bad "man nasw-search does not render the flags"
fi
for f in fmnist_proxy.csv fmnist_proxy_curves.csv fmnist_proxy.csv.meta.json README.md; do
    cmp -s "data/$f" "$D$P/share/nasw/$f" && ok || bad "data/$f not installed"
done
C=$D$P/share/bash-completion/completions/nasw
# complete LINE WANT: the installed completion of LINE (the installed nasw on
# PATH); bash cuts words at ':' and '=', so the replies are the part after them
complete_is() {
    got=$(PATH="$D$P/bin:$PATH" bash -c '. "$1"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _nasw; echo "${COMPREPLY[*]}"' sh "$C" "$1")
    [ "$got" = "$2" ] && ok || bad "installed completion: '$1' -> '$got', wanted '$2'"
}
if [ -f "$C" ]; then
    complete_is "nasw co" "compare confirm"
    complete_is "nasw help lcurve " "eval fit"
    complete_is "nasw tables " "build import info query"
    complete_is "nasw tables build --sa" "--sample"
    complete_is "nasw predict --si" "--size"
    complete_is "nasw compare --size 7," "7,3 7,5"
    complete_is "nasw search --table t.csv --str" "--strategy"
    complete_is "nasw compare --strategies random,b" "random,bo random,bananas random,bohb"
    complete_is "nasw search --strategy bo:enc" "encoding="
    complete_is "nasw search --strategy evolution:population=5:s" "sample= stall="
else
    bad "no completion installed"
fi
$MAKE --no-print-directory -s uninstall DESTDIR="$D" PREFIX=$P >"$T/log" 2>&1 || { bad "make uninstall failed"; cat "$T/log"; }
left=$(find "$D" ! -type d)
[ -z "$left" ] && ok || bad "uninstall left files: $left"
[ -d "$D$P/share/nasw" ] && bad "uninstall left $P/share/nasw" || ok
echo "install tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
