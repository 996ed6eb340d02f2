#!/usr/bin/env bash
# The command-line tests with every run of symgrad under valgrind memcheck:
#
#   tools/valgrind_cli.sh [path/to/symgrad]     (default: build/symgrad)
#
# Fails when any case fails or when valgrind reports anything in any run: an
# invalid read or write, a use of uninitialised memory, or a leak (definite,
# indirect or possible; memory still reachable at an exit is not a leak).
# Each run's report is kept in a scratch directory and the non-empty ones are
# printed. Code the JIT compiled runs in mmap'd memory, which valgrind allows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sg=${1:-$root/build/symgrad}
command -v valgrind >/dev/null || { echo "valgrind_cli: valgrind is not installed" >&2; exit 2; }
if grep -q __asan_init "$sg"; then
    echo "valgrind_cli: $sg is built with AddressSanitizer; give a plain build" >&2
    exit 2
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/symgrad-valgrind.XXXXXX")
export SYMGRAD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible
  --log-file=$logs/vg.%p"
start=$(date +%s)
rc=0
bash "$root/tests/cli_test.sh" "$sg" || rc=$?
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
