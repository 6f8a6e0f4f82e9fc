#!/bin/sh
# Install the Debian packages nasw needs when they are missing (as root), or
# print the exact command to run.  Used by `make deps`, `make test`, `make demo`.
# `scripts/deps.sh --bench` does the same for the benchmark peers only
# (Python: scikit-learn, SciPy, PyTorch, NumPy); only `make bench` asks for
# them, and the benchmarks skip a peer that cannot be imported.
# `scripts/deps.sh --man` does it for help2man, which only `make man` (and
# `make docs`) needs: the generated pages are committed.
# `scripts/deps.sh --fuzz` does it for the fuzzing toolchain (clang, its
# libFuzzer/sanitizer runtimes, its OpenMP runtime); only `make fuzz` asks.
set -u
PKGS="build-essential pkg-config libgsl-dev liblapacke-dev libopenblas-dev libcsv-dev libjansson-dev libcmocka-dev libxgboost-dev gnuplot-nox zlib1g-dev dataset-fashion-mnist libopenmpi-dev openmpi-bin"
BENCH_PKGS="python3-sklearn python3-scipy python3-torch python3-numpy"
FUZZ_PKGS="clang libclang-rt-dev libomp-dev"
what=deps
case "${1:-}" in
    "") ;;
    --bench) PKGS=$BENCH_PKGS; what="bench peers" ;;
    --man) PKGS=help2man; what="man pages" ;;
    --fuzz) PKGS=$FUZZ_PKGS; what="fuzzing toolchain" ;;
    *) echo "usage: scripts/deps.sh [--bench|--man|--fuzz]" >&2; exit 2 ;;
esac
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "$what: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >&2 || {
        echo "error: apt-get install failed for:$missing" >&2; exit 1; }
else
    echo "error: missing Debian packages ($what):$missing" >&2
    echo "run: sudo apt-get install -y$missing" >&2
    exit 1
fi
