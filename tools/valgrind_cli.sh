#!/usr/bin/env bash
# The command-line tests with every run of symgrad under valgrind memcheck:
#
#   tools/valgrind_cli.sh [--quick] [path/to/symgrad]  (default: build/symgrad)
#
# Every run costs seconds under memcheck (it shadows the worker thread's
# 1 GB stack), so the whole of tests/cli_test.sh takes about half an hour;
# --quick runs a dozen commands that cover every stage and output instead
# (what CI does).
#
# Fails when any case fails or when valgrind reports anything in any run: an
# invalid read or write, a use of uninitialised memory, or a leak (definite,
# indirect or possible; memory still reachable at an exit is not a leak).
# Each run's report is kept in a scratch directory and the non-empty ones are
# printed. Code the JIT compiled runs in mmap'd memory, which valgrind allows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
if [ "${1:-}" = --quick ]; then
    quick=1
    shift
fi
sg=${1:-$root/build/symgrad}
command -v valgrind >/dev/null || { echo "valgrind_cli: valgrind is not installed" >&2; exit 2; }
if grep -q __asan_init "$sg"; then
    echo "valgrind_cli: $sg is built with AddressSanitizer; give a plain build" >&2
    exit 2
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-valgrind.XXXXXX")
export SYMGRAD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible
  --suppressions=$root/tools/valgrind.supp --log-file=$logs/vg.%p"
start=$(date +%s)
rc=0
# --quick: run ARGS... expecting exit status RC.
quick_run() {
    local want=$1 got=0
    shift
    $SYMGRAD_WRAPPER "$sg" "$@" <"${STDIN:-/dev/null}" >"$logs/out" 2>&1 || got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: symgrad $* exited $got, not $want: $(head -c 300 "$logs/out")"
        rc=1
    fi
    STDIN=
}
if [ "$quick" = 1 ]; then
    tmp=$logs/files
    mkdir -p "$tmp"
    printf 'x,y\n1,2\n3,4\n' >"$tmp/points.csv"
    quick_run 2 'sin(x'
    quick_run 2 'x + foo(y)'
    quick_run 2 'x + y' --at x=1
    quick_run 0 'sin(x^2)' --wrt x --at 4
    quick_run 0 -f "$root/samples/bce.sym" --wrt w,b --at x=6.7,y=0,w=1,b=0 --check
    quick_run 0 -f "$root/samples/logcosh.sym" --format json --at a=1,c=2,t=3,y=0.5
    quick_run 0 'x^3*y + (x > y ? x : y^2)' --hessian --at x=1,y=2 --values
    quick_run 0 'tanh(x)' --order 3 --at 0.5
    quick_run 0 'def sq(u) = u^2 grad 2*u; sq(sin(x)) + clamp(x, 0, 1)' --format c --real float
    quick_run 0 'x^2*y + sin(x)' --emit-c "$tmp/f.c" --name f
    quick_run 0 'x^2*y + sin(x)' --data "$tmp/points.csv"
    STDIN=$tmp/points.csv quick_run 0 'min(x, y) * sigmoid(x)' --data -
    quick_run 2 "$(printf 'x;#\xff')"
else
    bash "$root/tests/cli_test.sh" "$sg" || rc=$?
fi
rm -rf "$logs/out" "$logs/files"
reports=$(find "$logs" -type f -size +0 | sort)
for f in $reports; do
    echo "---- valgrind: $f"
    cat "$f"
done
echo "valgrind_cli: $(ls "$logs" | wc -l) runs under valgrind in $(($(date +%s) - start))s," \
     "$(echo "$reports" | grep -c . || true) with a report"
if [ "$rc" -ne 0 ] || [ -n "$reports" ]; then
    echo "valgrind_cli: FAILED (reports kept in $logs)" >&2
    exit 1
fi
rm -rf "$logs"
