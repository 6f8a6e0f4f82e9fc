#!/bin/sh
# Generate the man pages in man/ from the -h texts with help2man (`make man`):
# nasw(1) from `nasw help`, nasw-CMD(1) from `nasw help CMD` for every command
# (but help and version),
# and nasw-CMD-SUB(1) for a subcommand with a help text of its own (`nasw help
# tables build`).  The pages are committed, so installing needs no help2man;
# tests/docs.sh checks that every command has its page.
#
# help2man expects GNU-style help ("Usage:" on one line, "  or:" for the other
# forms), so each page is made through a small wrapper that joins nasw's
# continued usage lines.  The date is the last commit's, so regenerating an
# unchanged tree changes nothing.
set -eu
NASW=${1:-./nasw}
OUT=${2:-man}
command -v help2man >/dev/null || {
    echo "error: help2man is not installed (make man installs it as root via scripts/deps.sh --man)" >&2; exit 1; }
NASW=$(cd "$(dirname "$NASW")" && pwd)/$(basename "$NASW")
SEMVER=$(cat VERSION)
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
W=$(mktemp -d /tmp/nasw-man.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$OUT"

# Join "usage:" and its continuation lines into GNU form.
cat >"$W/gnu.awk" <<'AWK'
function flush() { if (cur != "") print cur; cur = "" }
/^usage:/ { inu = 1; sub(/^usage:/, "Usage:"); cur = $0; next }
inu && /^ *or: / { flush(); sub(/^ *or: */, ""); cur = "  or: " $0; next }
inu && /^ +nasw / { flush(); sub(/^ +/, ""); cur = "  or: " $0; next }
inu && /^ +[[-]/ { sub(/^ +/, ""); cur = cur " " $0; next }
{ if (inu) { flush(); inu = 0 } print }
END { flush() }
AWK

# every command but help and version (nasw(1) covers those)
commands=$("$NASW" help | awk '/^  [a-z]/ && $1 != "help" && $1 != "version" {print $1}')
page() { # page NAME DESCRIPTION HELP-ARGS...
    name=$1; desc=$2; shift 2
    { echo '#!/bin/sh'; echo "exec \"$NASW\" $* | awk -f \"$W/gnu.awk\""; } >"$W/$name"
    chmod +x "$W/$name"
    help2man --no-info --no-discard-stderr --version-string="$SEMVER" --name="$desc" \
        --include="$W/see-also" "$W/$name" >"$OUT/$name.1.tmp"
    mv "$OUT/$name.1.tmp" "$OUT/$name.1"
}
{
    echo '[SEE ALSO]'
    for c in $commands; do printf '.BR nasw\\-%s (1),\n' "$c"; done
    echo 'and the documentation in the docs/ directory of the nasw sources.'
} >"$W/see-also"
page nasw "a neural architecture search workbench" help
for c in $commands; do
    desc=$("$NASW" help | awk -v c="$c" '$1 == c {sub(/^  [a-z]+ +/, ""); print}')
    page "nasw-$c" "$desc" help "$c"
    for s in $(scripts/subcommands.sh "$NASW" "$c"); do
        page "nasw-$c-$s" "$desc" help "$c" "$s"
    done
done
echo "man: pages written to $OUT/"
